namespace OrleansMount.Native.Memory;

/// <summary>
/// Gives the memory a burst of work left behind back to the kernel once the process is idle (decision 0031). A walk of
/// a million files allocates hundreds of MB of short-lived objects in the mount and the silo; the GC keeps the regions
/// it used committed for a while (15-30 MiB in the mount after a walk of 1.28 million files, beside an inode table of
/// ~100 MB). At each <see cref="Tick"/>, when at least <see cref="Burst"/> was allocated since the last release and less
/// than <see cref="Idle"/> since the tick before, one aggressive full collection (which decommits what the heap does
/// not use) and a malloc trim run. A process serving reads allocates little, so this runs after a walk, not during one.
/// </summary>
public sealed class IdleMemoryRelease
{
    /// <summary>Bytes allocated since the last release that make one worth it.</summary>
    public const long Burst = 32L << 20;

    /// <summary>Bytes allocated since the last tick (2 s in the mount and the silo) below which the process counts as idle.</summary>
    public const long Idle = 2L << 20;

    private long _tick = GC.GetTotalAllocatedBytes();
    private long _released = GC.GetTotalAllocatedBytes();

    /// <summary>Whether to release now, given what was allocated since the last release and since the last tick.</summary>
    public static bool Due(long sinceRelease, long sinceTick) => sinceRelease >= Burst && sinceTick < Idle;

    /// <summary>Releases when due (a blocking full collection: a few milliseconds on heaps this size); whether it did.</summary>
    public bool Tick()
    {
        var total = GC.GetTotalAllocatedBytes();
        var due = Due(total - _released, total - _tick);
        if (due)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            MallocArenas.Trim();
            _released = total = GC.GetTotalAllocatedBytes();
        }

        _tick = total;
        return due;
    }
}
