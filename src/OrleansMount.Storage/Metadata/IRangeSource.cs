using OrleansMount.Core;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Storage.Metadata;

/// <summary>Which kind of content-addressed catalog file a <see cref="CatalogFile"/> is.</summary>
public enum CatalogFileKind
{
    Range,
    Metarange,
}

/// <summary>One immutable range or metarange SST of the catalog: its kind, content id and catalog key.</summary>
public sealed record CatalogFile(CatalogFileKind Kind, Hash128 Id, string Key)
{
    /// <summary>The name used on the wire and in logs: <c>range/ID</c> or <c>metarange/ID</c>.</summary>
    public override string ToString() => $"{(Kind == CatalogFileKind.Range ? "range" : "metarange")}/{Id}";
}

/// <summary>
/// Where a node gets the range files it ingests: straight from the catalog (single node), or in a
/// cluster from the file's owner silo, which reads the catalog once for everyone.
/// </summary>
public interface IRangeSource
{
    /// <summary>Writes the file's exact bytes to <paramref name="localPath"/> (which must not exist yet).</summary>
    Task DownloadAsync(CatalogFile file, string localPath, CancellationToken cancellationToken);
}

/// <summary>Reads range files straight from the catalog.</summary>
public sealed class CatalogRangeSource(SnapshotCatalog catalog) : IRangeSource
{
    public Task DownloadAsync(CatalogFile file, string localPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        return catalog.DownloadAsync(file.Key, localPath, cancellationToken);
    }
}
