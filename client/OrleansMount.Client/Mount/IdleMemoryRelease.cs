using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansMount.Native.Memory;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Gives the memory a burst of metadata work left behind back to the kernel once the mount is idle (decision 0031). A
/// walk of a million files allocates hundreds of MB of short-lived listing objects; the GC keeps the regions it used
/// committed for a while, 15-30 MiB after a walk of 1.28 million files, beside an inode table of ~100 MB. Every
/// <see cref="Interval"/>, when at least <see cref="Burst"/> was allocated since the last release and less than
/// <see cref="Idle"/> in the last interval, one aggressive full collection (which decommits what the heap does not
/// use) and a malloc trim run. A mount reading files allocates little, so this runs after a walk, not during reads.
/// </summary>
internal static class IdleMemoryRelease
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Bytes allocated since the last release that make one worth it.</summary>
    public const long Burst = 32L << 20;

    /// <summary>Bytes allocated in the last interval below which the mount counts as idle.</summary>
    public const long Idle = 2L << 20;

    /// <summary>Whether to release now, given what was allocated since the last release and during the last interval.</summary>
    public static bool Due(long sinceRelease, long sinceTick) => sinceRelease >= Burst && sinceTick < Idle;

    /// <summary>Runs until <paramref name="stop"/> is cancelled.</summary>
    public static async Task RunAsync(ILogger logger, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        var tick = GC.GetTotalAllocatedBytes();
        var released = tick;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var total = GC.GetTotalAllocatedBytes();
                if (Due(total - released, total - tick))
                {
                    var started = Stopwatch.GetTimestamp();
                    var before = Environment.WorkingSet;
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    MallocArenas.Trim();
                    logger.LogDebug("idle after {Allocated:N0} bytes allocated: memory released in {Milliseconds:F1} ms, RSS {Before:N0} -> {After:N0} bytes", total - released, Stopwatch.GetElapsedTime(started).TotalMilliseconds, before, Environment.WorkingSet);
                    released = total = GC.GetTotalAllocatedBytes();
                }

                tick = total;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
