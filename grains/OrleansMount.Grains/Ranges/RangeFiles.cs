using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Grains.Ranges;

/// <summary>
/// The range files a silo keeps for its peers: one <see cref="RangeFile"/> per file, shared by the file's
/// <see cref="RangeGrain"/> and the peer range endpoint, so a file is filled once at a time on the silo. Two
/// instances of one file would race: each would take the other's fill in progress (the file renamed into place, its
/// check file not written yet) for a damaged file and delete it. Entries are a few strings each and there is one per
/// range file of the snapshots this silo served as an owner.
/// </summary>
public sealed class RangeFiles(SnapshotCatalog catalog, string directory, NodeCounters counters)
{
    private readonly ConcurrentDictionary<(CatalogFileKind, Core.Hash128), RangeFile> _files = new();

    /// <summary>The one <see cref="RangeFile"/> of <paramref name="file"/> on this silo (<paramref name="logger"/> is used if it is created now).</summary>
    public RangeFile Of(CatalogFile file, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(file);
        return _files.GetOrAdd((file.Kind, file.Id), static (_, state) => new RangeFile(state.file, state.catalog, state.directory, state.counters, state.logger), (file, catalog, directory, counters, logger));
    }
}
