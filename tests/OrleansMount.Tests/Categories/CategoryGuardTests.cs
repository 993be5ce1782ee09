using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace OrleansMount.Tests.Categories;

/// <summary>
/// Every test carries exactly one category, so <c>./build.sh test --fast</c> (<c>Category=Unit</c>) and the
/// other filters cannot miss a new test: a class with [Fact] or [Theory] methods gets one of
/// <c>[UnitTest]</c>, <c>[IntegrationTest]</c>, <c>[KernelTest]</c>, or, where it mixes kinds, each of its tests does.
/// </summary>
[UnitTest]
public sealed class CategoryGuardTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_test_class_has_exactly_one_category_for_each_of_its_tests()
    {
        var problems = new List<string>();
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var type in typeof(CategoryGuardTests).Assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var tests = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)
                .Where(m => m.IsDefined(typeof(FactAttribute), inherit: true))
                .ToList();
            if (tests.Count == 0)
            {
                continue;
            }

            var onClass = ClassCategories(type);
            if (HasPlainCategoryTrait(type) || tests.Any(HasPlainCategoryTrait))
            {
                problems.Add($"{type.FullName}: [Trait(\"Category\", ...)] written by hand; use [UnitTest], [IntegrationTest] or [KernelTest]");
            }

            foreach (var test in tests)
            {
                var categories = onClass.Concat(test.GetCustomAttributes<TestCategoryAttribute>(inherit: false).Select(a => a.Category)).ToList();
                if (categories.Count != 1)
                {
                    problems.Add(categories.Count == 0
                        ? $"{type.FullName}.{test.Name}: no category; mark the class [UnitTest], [IntegrationTest] or [KernelTest] (tests/OrleansMount.Tests/Categories)"
                        : $"{type.FullName}.{test.Name}: {categories.Count} categories ({string.Join(", ", categories)}); give it one, on the class or on each test but not both");
                    continue;
                }

                counts[categories[0]] = counts.GetValueOrDefault(categories[0]) + 1;
            }
        }

        output.WriteLine("test methods per category (a theory counts once): " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(counts.GetValueOrDefault(TestCategoryAttribute.Unit) > 0, "no unit test found: the guard is not looking at the test assembly");
    }

    [Theory]
    [InlineData(typeof(CategoryGuardTests), "Unit")]
    [InlineData(typeof(Cli.CliImportTests), "Integration")]
    [InlineData(typeof(Fuse.FuseMountTests), "Kernel")]
    public void The_attributes_become_the_trait_the_filters_select(Type testClass, string category)
    {
        // As xunit reads traits: the ITraitAttribute on the class, then its discoverer.
        var attribute = Assert.Single(Reflector.Wrap(testClass).GetCustomAttributes(typeof(ITraitAttribute)));
        Assert.Equal([new("Category", category)], new CategoryTraitDiscoverer().GetTraits(attribute));
    }

    /// <summary>The class's categories as xunit reads its traits: its own, else those of its nearest base class that has one.</summary>
    private static List<string> ClassCategories(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            var own = t.GetCustomAttributes<TestCategoryAttribute>(inherit: false).Select(a => a.Category).ToList();
            if (own.Count > 0)
            {
                return own;
            }
        }

        return [];
    }

    private static bool HasPlainCategoryTrait(MemberInfo member) =>
        member.GetCustomAttributesData().Any(d => d.AttributeType == typeof(TraitAttribute) && d.ConstructorArguments.Count == 2 && Equals(d.ConstructorArguments[0].Value, TestCategoryAttribute.Trait));
}
