using Xunit.Sdk;

namespace OrleansMount.Tests.Categories;

/// <summary>
/// The one category of a test class (or, where a class mixes kinds, of each of its tests): a trait
/// <c>Category</c> whose value <c>dotnet test --filter "Category=Unit"</c> selects. Use the sealed
/// attributes (<see cref="UnitTestAttribute"/>, <see cref="IntegrationTestAttribute"/>,
/// <see cref="KernelTestAttribute"/>); <see cref="CategoryGuardTests"/> fails when a test has none or more than one.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public abstract class TestCategoryAttribute(string category) : Attribute, ITraitAttribute
{
    /// <summary>The trait's name.</summary>
    public const string Trait = "Category";

    public const string Unit = "Unit";

    public const string Integration = "Integration";

    public const string Kernel = "Kernel";

    /// <summary>The trait's value: <see cref="Unit"/>, <see cref="Integration"/> or <see cref="Kernel"/>.</summary>
    public string Category { get; } = category;
}
