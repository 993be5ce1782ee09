using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Silo.Prefetch;

/// <summary>
/// Turns a selection (directories and files of a snapshot, in order) into a <see cref="PrefetchPlan"/>:
/// the chunks of every file, a directory's files in key order and each file once, or, for metadata, the
/// ranges that hold the selection. A path that is neither a file nor a directory is an error.
/// </summary>
public static class PrefetchPlanner
{
    public static async Task<PrefetchPlan> PlanChunksAsync(SnapshotView view, IReadOnlyList<string> paths, int chunkSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(view);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var chunks = new List<ChunkRequest>();
        var files = new List<string>();
        var count = 0;
        long bytes = 0;
        var record = view.Record;
        foreach (var path in Selection(paths))
        {
            await foreach (var entry in EntriesAsync(view, path, cancellationToken).ConfigureAwait(false))
            {
                if (!seen.Add(entry.Path))
                {
                    continue;
                }

                count++;
                bytes += entry.Size;
                for (var index = 0; index < ChunkMath.ChunkCount(entry.Size, chunkSize); index++)
                {
                    chunks.Add(new ChunkRequest(entry.PhysicalAddress, entry.ETag, entry.Size, index, chunkSize, record.Name, record.Id));
                    files.Add(entry.Path);
                }
            }
        }

        return new PrefetchPlan(chunks, files, count, bytes, []);
    }

    public static async Task<PrefetchPlan> PlanRangesAsync(SnapshotView view, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(view);
        var ranges = new List<RangeId>();
        var seen = new HashSet<RangeId>();
        foreach (var path in Selection(paths))
        {
            IEnumerable<RangeDescriptor> holding;
            if (path.Length == 0 || await view.IsDirectoryAsync(path, cancellationToken).ConfigureAwait(false))
            {
                holding = view.RangesUnder(path);
            }
            else if (await view.GetFileAsync(path, cancellationToken).ConfigureAwait(false) is not null && view.RangeHolding(path) is { } range)
            {
                holding = [range];
            }
            else
            {
                throw new PathNotFoundException(view.Record.Name, path);
            }

            ranges.AddRange(holding.Select(r => r.Id).Where(seen.Add));
        }

        return new PrefetchPlan([], [], 0, 0, ranges);
    }

    /// <summary>The normalized paths; none means the whole snapshot.</summary>
    private static IEnumerable<string> Selection(IReadOnlyList<string> paths) =>
        paths is null || paths.Count == 0 ? [""] : paths.Select(PathRules.NormalizeDirectory);

    private static async IAsyncEnumerable<SnapshotEntry> EntriesAsync(SnapshotView view, string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (path.Length == 0 || await view.IsDirectoryAsync(path, cancellationToken).ConfigureAwait(false))
        {
            await foreach (var entry in view.FilesUnderAsync(path, cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }

            yield break;
        }

        yield return await view.GetFileAsync(path, cancellationToken).ConfigureAwait(false) ?? throw new PathNotFoundException(view.Record.Name, path);
    }
}
