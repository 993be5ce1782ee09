namespace OrleansMount.Storage.Import;

/// <summary>What an import is doing: listing (and sorting) the source, or writing the sorted entries as ranges.</summary>
public enum ImportPhase
{
    Listing,
    Writing,
}
