using Xunit.Sdk;

namespace OrleansMount.Tests.Categories;

/// <summary>
/// Category <c>Integration</c>: starts real processes or servers (s3rver, redis-server, silos, the CLI,
/// chromium, the latency proxy, the deployment checkers) but needs no kernel mount and no root-only feature.
/// </summary>
[TraitDiscoverer(CategoryTraitDiscoverer.TypeName, CategoryTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class IntegrationTestAttribute() : TestCategoryAttribute(Integration);
