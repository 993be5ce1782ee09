using Orleans.Placement;
using Orleans.Runtime.Placement;
using OrleansMount.Core;
using OrleansMount.Core.Placement;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Grains.Cluster;

/// <summary>
/// Weighted rendezvous placement: a grain is activated on the silo that owns its key in <see cref="ClusterView"/>
/// (weight = cache capacity), so a chunk's activation lives on the silo whose disk caches it. Orleans consults
/// placement only at activation; <see cref="ClusterView.Track"/> moves activations home after membership changes.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
[Alias("orleansmount.rendezvous")]
public sealed class RendezvousPlacement : PlacementStrategy
{
    public static RendezvousPlacement Instance { get; } = new();
}

/// <summary>Places the grain class with <see cref="RendezvousPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RendezvousPlacementAttribute : PlacementAttribute
{
    public RendezvousPlacementAttribute()
        : base(RendezvousPlacement.Instance)
    {
    }
}

/// <summary>Chooses the owner from <see cref="ClusterView"/>; a silo Orleans cannot place on (not compatible yet) falls back to this one.</summary>
public sealed class RendezvousPlacementDirector(ClusterView view) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var compatible = context.GetCompatibleSilos(target);
        if (GrainKeys.NodeOf(target.GrainIdentity) is { } siloId)
        {
            // A node (or cluster view) grain lives on its silo, or nowhere: the caller then does the work itself.
            return view.AddressOf(siloId) is { } address && Array.IndexOf(compatible, address) >= 0
                ? Task.FromResult(address)
                : throw new SiloUnavailableException($"silo {siloId} is not an active member");
        }

        var (_, owner) = view.OwnerOf(GrainKeys.PlacementKeyOf(target.GrainIdentity));
        if (owner is not null && Array.IndexOf(compatible, owner) >= 0)
        {
            return Task.FromResult(owner);
        }

        return Task.FromResult(Array.IndexOf(compatible, context.LocalSilo) >= 0 ? context.LocalSilo : compatible[0]);
    }
}

/// <summary>The string keys of the product's grains, and the placement key each stands for.</summary>
public static class GrainKeys
{
    private const string ChunkPrefix = "chunk/";
    private const string RangePrefix = "range/";
    private const string NodePrefix = "node/";
    private const string SnapshotPrefix = "snapshot/";

    /// <summary>The key of a silo's node grain (and of its <see cref="IClusterViewGrain"/>).</summary>
    public static string Node(string siloId) => NodePrefix + siloId;

    /// <summary>The silo id a node or cluster view grain's key names; null for other grains.</summary>
    public static string? NodeOf(GrainId grain)
    {
        var key = grain.Key.ToString()!;
        return key.StartsWith(NodePrefix, StringComparison.Ordinal) ? key[NodePrefix.Length..] : null;
    }

    public static string Chunk(ChunkId id) => ChunkPrefix + id;

    public static string Range(RangeId id) => RangePrefix + id.Hash;

    /// <summary>The key of a snapshot name's grain: <c>snapshot/NAME@CATALOG</c> (a valid name holds no <c>@</c>).</summary>
    public static string Snapshot(StoreUri catalog, string name)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        SnapshotCatalog.ValidateName(name);
        return $"{SnapshotPrefix}{name}@{catalog}";
    }

    /// <summary>The catalog and name a snapshot grain's key names.</summary>
    public static (string Catalog, string Name) SnapshotOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.IndexOf('@', StringComparison.Ordinal);
        if (!key.StartsWith(SnapshotPrefix, StringComparison.Ordinal) || at < 0)
        {
            throw new ArgumentException($"'{key}' is not a snapshot grain key", nameof(key));
        }

        return (key[(at + 1)..], key[SnapshotPrefix.Length..at]);
    }

    /// <summary>The placement key of a grain: its chunk's or range's, else a hash of the whole key.</summary>
    public static ulong PlacementKeyOf(GrainId grain)
    {
        var key = grain.Key.ToString()!;
        if (key.StartsWith(ChunkPrefix, StringComparison.Ordinal))
        {
            return PlacementKey.Of(ChunkId.Parse(key[ChunkPrefix.Length..]));
        }

        if (key.StartsWith(RangePrefix, StringComparison.Ordinal))
        {
            return PlacementKey.Of(new RangeId(Hash128.Parse(key[RangePrefix.Length..], "range id")));
        }

        return System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(key));
    }
}
