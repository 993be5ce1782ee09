using Xunit.Sdk;

namespace OrleansMount.Tests.Categories;

/// <summary>
/// Category <c>Unit</c>: no external process, no kernel mount, no network server. Pure logic, in-memory
/// doubles, temp files and the real RocksDB library in-process are fine. <c>./build.sh test --fast</c> runs these.
/// </summary>
[TraitDiscoverer(CategoryTraitDiscoverer.TypeName, CategoryTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class UnitTestAttribute() : TestCategoryAttribute(Unit);
