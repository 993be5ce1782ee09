namespace OrleansMount.Native.Fuse;

/// <summary>Managed records → native structs.</summary>
internal static class FuseConvert
{
    private const int DefaultBlockSize = 128 * 1024;

    public static NativeStat ToNative(in FuseAttr attr)
    {
        var stat = new NativeStat
        {
            Ino = attr.Ino,
            Mode = attr.Mode,
            NLink = attr.NLink == 0 ? 1 : attr.NLink,
            Uid = attr.Uid,
            Gid = attr.Gid,
            Size = attr.Size,
            BlkSize = attr.BlkSize > 0 ? attr.BlkSize : DefaultBlockSize,
            Blocks = attr.Blocks != 0 ? attr.Blocks : (attr.Size + 511) / 512,
        };
        (stat.ATimeSec, stat.ATimeNsec) = ToTimespec(attr.ATime);
        (stat.MTimeSec, stat.MTimeNsec) = ToTimespec(attr.MTime);
        (stat.CTimeSec, stat.CTimeNsec) = ToTimespec(attr.CTime);
        return stat;
    }

    public static NativeEntryParam ToNative(in FuseEntry entry) => new()
    {
        Ino = entry.Ino,
        Generation = entry.Generation,
        Attr = ToNative(entry.Attr),
        AttrTimeout = entry.AttrTimeout,
        EntryTimeout = entry.EntryTimeout,
    };

    public static NativeStatVfs ToNative(in FuseStatFs s) => new()
    {
        BlockSize = s.BlockSize,
        FragmentSize = s.FragmentSize != 0 ? s.FragmentSize : s.BlockSize,
        Blocks = s.Blocks,
        FreeBlocks = s.FreeBlocks,
        AvailableBlocks = s.AvailableBlocks,
        Files = s.Files,
        FreeFiles = s.FreeFiles,
        AvailableFiles = s.AvailableFiles,
        NameMax = s.NameMax != 0 ? s.NameMax : 255,
    };

    /// <summary>(seconds, nanoseconds) since the Unix epoch; nanoseconds always in [0, 1e9).</summary>
    public static (long Sec, long Nsec) ToTimespec(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0)
        {
            sec--;
            rem += TimeSpan.TicksPerSecond;
        }

        return (sec, rem * 100);
    }
}
