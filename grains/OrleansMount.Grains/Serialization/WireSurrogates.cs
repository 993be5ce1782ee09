using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Grains.Serialization;

// The wire records live in OrleansMount.Contracts and OrleansMount.Storage, which the CLI references and which
// therefore carry no Orleans attributes (decision 0017). Orleans serializes them through these surrogates.

[GenerateSerializer, Immutable, Alias("om.ChunkRequest")]
public readonly record struct ChunkRequestSurrogate(
    [property: Id(0)] string Address,
    [property: Id(1)] string ETag,
    [property: Id(2)] long Size,
    [property: Id(3)] int Index,
    [property: Id(4)] int ChunkSize,
    [property: Id(5)] string Snapshot,
    [property: Id(6)] string SnapshotId);

[RegisterConverter]
public sealed class ChunkRequestConverter : IConverter<ChunkRequest, ChunkRequestSurrogate>
{
    public ChunkRequest ConvertFromSurrogate(in ChunkRequestSurrogate surrogate) =>
        new(surrogate.Address, surrogate.ETag, surrogate.Size, surrogate.Index, surrogate.ChunkSize, surrogate.Snapshot, surrogate.SnapshotId);

    public ChunkRequestSurrogate ConvertToSurrogate(in ChunkRequest value) =>
        new(value.Address, value.ETag, value.Size, value.Index, value.ChunkSize, value.Snapshot, value.SnapshotId);
}

[GenerateSerializer, Immutable, Alias("om.ChunkLocation")]
public readonly record struct ChunkLocationSurrogate(
    [property: Id(0)] bool Cached,
    [property: Id(1)] int Length,
    [property: Id(2)] uint Crc32C,
    [property: Id(3)] ChunkTier Tier);

[RegisterConverter]
public sealed class ChunkLocationConverter : IConverter<ChunkLocation, ChunkLocationSurrogate>
{
    public ChunkLocation ConvertFromSurrogate(in ChunkLocationSurrogate surrogate) => new(surrogate.Cached, surrogate.Length, surrogate.Crc32C, surrogate.Tier);

    public ChunkLocationSurrogate ConvertToSurrogate(in ChunkLocation value) => new(value.Cached, value.Length, value.Crc32C, value.Tier);
}

[GenerateSerializer, Immutable, Alias("om.CatalogFile")]
public readonly record struct CatalogFileSurrogate(
    [property: Id(0)] CatalogFileKind Kind,
    [property: Id(1)] UInt128 Id,
    [property: Id(2)] string Key);

[RegisterConverter]
public sealed class CatalogFileConverter : IConverter<CatalogFile, CatalogFileSurrogate>
{
    public CatalogFile ConvertFromSurrogate(in CatalogFileSurrogate surrogate) => new(surrogate.Kind, new Hash128(surrogate.Id), surrogate.Key);

    public CatalogFileSurrogate ConvertToSurrogate(in CatalogFile value) => new(value.Kind, value.Id.Value, value.Key);
}

[GenerateSerializer, Immutable, Alias("om.PrefetchFailure")]
public readonly record struct PrefetchFailureSurrogate([property: Id(0)] string Object, [property: Id(1)] string Reason);

[RegisterConverter]
public sealed class PrefetchFailureConverter : IConverter<Grains.Prefetch.PrefetchFailure, PrefetchFailureSurrogate>
{
    public Grains.Prefetch.PrefetchFailure ConvertFromSurrogate(in PrefetchFailureSurrogate surrogate) => new(surrogate.Object, surrogate.Reason);

    public PrefetchFailureSurrogate ConvertToSurrogate(in Grains.Prefetch.PrefetchFailure value) => new(value.Object, value.Reason);
}

[GenerateSerializer, Immutable, Alias("om.SnapshotRecord")]
public readonly record struct SnapshotRecordSurrogate(
    [property: Id(0)] int Format,
    [property: Id(1)] string Name,
    [property: Id(2)] string Id,
    [property: Id(3)] string Metarange,
    [property: Id(4)] string Source,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] long Entries,
    [property: Id(7)] long Bytes,
    [property: Id(8)] int Ranges,
    [property: Id(9)] Dictionary<string, long> Skipped);

[RegisterConverter]
public sealed class SnapshotRecordConverter : IConverter<SnapshotRecord, SnapshotRecordSurrogate>
{
    public SnapshotRecord ConvertFromSurrogate(in SnapshotRecordSurrogate surrogate) => new()
    {
        Format = surrogate.Format,
        Name = surrogate.Name,
        Id = surrogate.Id,
        Metarange = surrogate.Metarange,
        Source = surrogate.Source,
        CreatedAt = surrogate.CreatedAt,
        Entries = surrogate.Entries,
        Bytes = surrogate.Bytes,
        Ranges = surrogate.Ranges,
        Skipped = surrogate.Skipped,
    };

    public SnapshotRecordSurrogate ConvertToSurrogate(in SnapshotRecord value) =>
        new(value.Format, value.Name, value.Id, value.Metarange, value.Source, value.CreatedAt, value.Entries, value.Bytes, value.Ranges, value.Skipped);
}
