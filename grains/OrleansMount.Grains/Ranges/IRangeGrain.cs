using Orleans.Concurrency;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Grains.Ranges;

/// <summary>
/// One range or metarange file of the catalog, keyed by its content id (<see cref="Cluster.GrainKeys.Range"/>),
/// activated on its owner. Reads the file from the catalog at most once however many silos ask at the same moment.
/// </summary>
[Alias("om.IRangeGrain")]
public interface IRangeGrain : IGrainWithStringKey
{
    /// <summary>Makes the file present and checked on the activation's silo; returns that silo's id (peers copy it from there).</summary>
    [Alias("ensure")]
    Task<string> EnsureAsync(CatalogFile file);

    /// <summary>Moves the activation to the key's owner if that is another silo now.</summary>
    [Alias("recheck"), OneWay]
    Task RecheckOwnerAsync();
}
