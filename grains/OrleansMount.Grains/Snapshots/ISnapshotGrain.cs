using Orleans.Concurrency;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Grains.Snapshots;

/// <summary>
/// One snapshot name of one catalog (<see cref="Cluster.GrainKeys.Snapshot"/>), activated on its rendezvous owner:
/// reads the name's record from the catalog once for the cluster and answers it to every silo, re-reading it after
/// <see cref="SnapshotGrainOptions.RefreshAfter"/> so a re-import under the same name is seen (<see cref="SnapshotRecordCache"/>).
/// </summary>
[Alias("om.ISnapshotGrain")]
public interface ISnapshotGrain : IGrainWithStringKey
{
    /// <summary>
    /// The record the name points at, or null when the catalog has none. With <paramref name="expectedId"/> (the import
    /// a mount pinned), a held record of another id is read again before it is answered.
    /// </summary>
    [Alias("get")]
    Task<SnapshotRecord?> GetAsync(string? expectedId);

    /// <summary>Moves the activation to the key's owner if that is another silo now.</summary>
    [Alias("recheck"), OneWay]
    Task RecheckOwnerAsync();
}
