using Microsoft.Extensions.Logging;
using OrleansMount.Core;
using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Adaptive warm-up (issue 21, item 1): once this mount's readers have had to read <see cref="Files"/> different files
/// from the object store (cold for the whole cluster: <see cref="Grains.Chunks.ChunkTier.ObjectStore"/>), in at least
/// <see cref="Directories"/> directories, they are evidently walking a cold dataset (an epoch, a copy, a scan), so the
/// cluster is asked to prefetch the whole mounted path once: the rest of a cold epoch is then limited by the object
/// store's bandwidth rather than by one round trip per file the readers open. Reads served from a cache never count, so a
/// warm dataset (the next epoch, or after <c>orleansmount prefetch</c>) starts no job that would only compete for CPU. The prefetch is an ordinary job (each
/// chunk fetched once for the cluster, by its owner; <c>orleansmount prefetch --status</c> shows it) and starts only
/// when the snapshot fits in half of the local silo's cache, so it never pushes out what the readers need. Once per
/// mount; off with <c>mount --no-warm-up</c>. Best effort: a failure is logged and reads go on as before.
/// </summary>
internal sealed class WarmUp(Func<CancellationToken, Task<WarmUp.Budget>> budget, Func<CancellationToken, Task<string>> start, ILogger logger)
{
    /// <summary>Different files read from the object store before the warm-up starts.</summary>
    public const int Files = 32;

    /// <summary>Different directories those files must lie in (one directory read file by file is readahead's job).</summary>
    public const int Directories = 2;

    private readonly Lock _lock = new();
    private readonly HashSet<ulong> _files = [];
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private int _state; // 0 watching, 1 started (or refused)

    /// <summary>The snapshot's bytes and the local silo's cache capacity.</summary>
    public readonly record struct Budget(long SnapshotBytes, long CacheBytes);

    /// <summary>What became of the warm-up: null while watching, else a line for the log (for tests).</summary>
    public string? Outcome { get; private set; }

    /// <summary>The completion of the decision and the job's start, once triggered (for tests).</summary>
    public Task Started { get; private set; } = Task.CompletedTask;

    /// <summary>A chunk of the file <paramref name="ino"/> at <paramref name="address"/> had to be read from the object store.</summary>
    public void ColdRead(ulong ino, string address)
    {
        if (Volatile.Read(ref _state) != 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_state != 0 || !_files.Add(ino))
            {
                return;
            }

            var slash = address.LastIndexOf('/');
            _directories.Add(slash < 0 ? "" : address[..slash]);
            if (_files.Count < Files || _directories.Count < Directories)
            {
                return;
            }

            _state = 1;
            _files.Clear();
            _directories.Clear();
        }

        Started = Task.Run(() => StartAsync());
    }

    private async Task StartAsync()
    {
        try
        {
            var (snapshotBytes, cacheBytes) = await budget(CancellationToken.None).ConfigureAwait(false);
            if (snapshotBytes > cacheBytes / 2)
            {
                Outcome = $"warm-up not started: readers are walking the snapshot, but its {ByteSize.Format(snapshotBytes)} do not fit in half of the silo's {ByteSize.Format(cacheBytes)} cache (prefetch what the job needs with 'orleansmount prefetch')";
                logger.LogInformation("{Outcome}", Outcome);
                return;
            }

            var job = await start(CancellationToken.None).ConfigureAwait(false);
            Outcome = $"warm-up started: readers read {Files} files in {Directories} or more directories from the object store, so the mounted path is prefetched as job {job} ({ByteSize.Format(snapshotBytes)}; 'orleansmount prefetch --status {job}')";
            logger.LogInformation("{Outcome}", Outcome);
        }
        catch (Exception e)
        {
            Outcome = $"warm-up could not start: {e.Message}; files are fetched as they are read";
            logger.LogWarning("{Outcome}", Outcome);
        }
    }

    /// <summary>A warm-up that asks <paramref name="silo"/> for a prefetch of the mounted path of the snapshot.</summary>
    public static WarmUp For(SiloClient silo, string snapshot, string snapshotId, long snapshotBytes, string rootPath, ILogger logger) => new(
        async ct => new Budget(snapshotBytes, (await silo.GetStatsAsync(ct).ConfigureAwait(false)).CacheCapacityBytes),
        async ct => (await silo.StartPrefetchAsync(new PrefetchRequest(snapshot, [rootPath], SnapshotId: snapshotId), ct).ConfigureAwait(false)).Id,
        logger);
}
