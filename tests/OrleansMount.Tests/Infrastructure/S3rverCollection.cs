namespace OrleansMount.Tests.Infrastructure;

/// <summary>Test classes marked <c>[Collection(S3rverCollection.Name)]</c> share one <see cref="S3rverServer"/> (and run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverServer>
{
    public const string Name = "s3rver";
}
