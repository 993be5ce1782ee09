using Xunit.Abstractions;
using Xunit.Sdk;

namespace OrleansMount.Tests.Categories;

/// <summary>Turns a <see cref="TestCategoryAttribute"/> into the trait <c>Category=VALUE</c>.</summary>
public sealed class CategoryTraitDiscoverer : ITraitDiscoverer
{
    public const string TypeName = "OrleansMount.Tests.Categories." + nameof(CategoryTraitDiscoverer);

    public const string AssemblyName = "OrleansMount.Tests";

    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute)
    {
        ArgumentNullException.ThrowIfNull(traitAttribute);
        yield return new(TestCategoryAttribute.Trait, traitAttribute.GetNamedArgument<string>(nameof(TestCategoryAttribute.Category)));
    }
}
