using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansMount.Grains.Cluster;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Grains.Snapshots;

/// <summary>
/// The Orleans grain of one snapshot name, placed on its owner; the record and its refresh are
/// <see cref="SnapshotRecordCache"/>'s. Reentrant, so callers arriving during a read of the catalog share it.
/// </summary>
[RendezvousPlacement, Reentrant]
public sealed class SnapshotGrain(NodeResources node, ClusterView view, IOptions<SnapshotGrainOptions> options) : OwnedGrain(view), ISnapshotGrain
{
    private SnapshotRecordCache? _cache;

    public Task<SnapshotRecord?> GetAsync(string? expectedId)
    {
        if (_cache is null)
        {
            var key = this.GetPrimaryKeyString();
            var (catalog, name) = GrainKeys.SnapshotOf(key);
            // Every silo of a cluster should name the same --catalog; one that does not gets its own catalog's
            // answer (its call fails here and it reads its catalog itself), never this one's.
            if (catalog != node.Catalog.Location.ToString())
            {
                throw new ArgumentException($"{key} asked of a silo whose catalog is {node.Catalog.Location}", nameof(expectedId));
            }

            var settings = options.Value;
            _cache = new SnapshotRecordCache(ct => node.Catalog.TryGetSnapshotAsync(name, ct), settings.Time, settings.RefreshAfter);
        }

        return _cache.GetAsync(expectedId);
    }

    public Task RecheckOwnerAsync() => RecheckAsync();

    protected override Task RecheckThroughGrainCall(IGrainFactory factory, string key) => factory.GetGrain<ISnapshotGrain>(key).RecheckOwnerAsync();
}
