namespace OrleansMount.Grains.Ranges;

/// <summary>
/// One range or metarange file of the catalog, keyed by its content id, activated on its owner.
/// Reads the file from the catalog at most once however many silos ask at the same moment.
/// </summary>
public interface IRangeGrain
{
    /// <summary>The file's exact bytes from the owner's disk, checked against the CRC32C recorded when they were fetched.</summary>
    Task<byte[]> ReadAsync(CancellationToken cancellationToken);
}
