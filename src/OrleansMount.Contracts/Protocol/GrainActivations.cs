namespace OrleansMount.Grains.Protocol;

/// <summary>One grain type's activations on a silo: live now, and created since start.</summary>
/// <param name="GrainType"><c>ChunkGrain</c>, <c>RangeGrain</c>, <c>SnapshotGrain</c> or <c>PrefetchJob</c> (jobs this silo coordinates; live = running).</param>
public sealed record GrainActivations(string GrainType, long Active, long Activated);
