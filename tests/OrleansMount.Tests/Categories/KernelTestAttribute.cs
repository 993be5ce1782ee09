using Xunit.Sdk;

namespace OrleansMount.Tests.Categories;

/// <summary>
/// Category <c>Kernel</c>: needs a real kernel FUSE mount (<c>/dev/fuse</c>, root) or another root-only kernel
/// feature (a tmpfs mount, a network or mount namespace, <c>drop_caches</c>). A class that mixes these with
/// integration tests is classed by its heaviest test.
/// </summary>
[TraitDiscoverer(CategoryTraitDiscoverer.TypeName, CategoryTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class KernelTestAttribute() : TestCategoryAttribute(Kernel);
