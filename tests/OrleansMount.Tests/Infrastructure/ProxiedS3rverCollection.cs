namespace OrleansMount.Tests.Infrastructure;

/// <summary>Test classes marked <c>[Collection(ProxiedS3rverCollection.Name)]</c> share one <see cref="ProxiedS3rver"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ProxiedS3rverCollection : ICollectionFixture<ProxiedS3rver>
{
    public const string Name = "s3rver behind the latency proxy";
}
