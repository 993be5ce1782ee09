namespace OrleansMount.Grains.Ranges;

/// <summary>
/// One range or metarange file of the catalog, keyed by its content id, activated on its owner.
/// Reads the file from the catalog at most once however many silos ask at the same moment.
/// </summary>
public interface IRangeGrain
{
    /// <summary>The path of the file's exact bytes on the owner's disk.</summary>
    Task<string> EnsureAsync(CancellationToken cancellationToken);
}
