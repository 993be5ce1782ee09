namespace OrleansMount.Tests.Fuse;

/// <summary>Runs the kernel-mount tests one after another.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuseCollection
{
    public const string Name = "FUSE kernel mounts";
}
