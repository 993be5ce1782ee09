using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>What the file system needs to answer getattr for an inode.</summary>
internal readonly record struct InodeInfo(ulong Ino, bool IsDirectory, long Size, long MtimeNs);

/// <summary>
/// The inodes the kernel holds references to (handed out by lookup and readdirplus, given back by forget), plus a
/// bounded set of recent ones it holds none to (listed by readdir, or forgotten: after drop_caches a dataset read
/// again soon, the next epoch, costs no silo round trip per file); the mount's only per-file memory. Each is a fixed
/// 48-byte <see cref="Record"/> (number, parent's number, size, mtime, ETag: a quoted 32-digit MD5 hex ETag, the usual
/// S3 form, or a file:// source's two dash-separated hex numbers, packed into 16 bytes, references held, where its name
/// lies) in native blocks of
/// <see cref="RecordsPerBlock"/>, kept dense (a removed record's place is taken by the last one); names as UTF-8 in
/// one append-only arena of native blocks, compacted once more of it is garbage than live; two open-addressing
/// indexes, inode number -> record and (parent, name) -> record, growing by half and shrinking by a third. So memory follows
/// the number of inodes (~48 B + the name + ~16 B of index each), with no object per entry for the GC to trace or
/// to promote and drop, and no doubled array left behind on the large-object heap (decision 0023). A value the
/// compact record cannot hold (an inode number past 2^48, a file of 4 GiB or more, a name past 255 bytes, more than
/// 65,535 references, a name past the arena's 4 GiB of addresses) makes the record <em>wide</em>: those fields and
/// the name live in full in a side entry, so nothing is ever truncated or saturated. Paths are rebuilt
/// from the parent chain when a file is opened or a directory listed; the kernel keeps a parent's dentry, so its
/// inode, while a child's is referenced: a referenced inode's chain is always complete.
/// </summary>
internal sealed unsafe class InodeTable : IDisposable
{
    /// <summary>Records per native block (96 KiB): what the table grows and shrinks by.</summary>
    internal const int RecordsPerBlock = 2048;

    /// <summary>Bytes per name-arena block (a power of two; a name with its ETag longer than a block makes a wide record).</summary>
    internal const int DefaultArenaBlockBytes = 128 * 1024;

    /// <summary>The arena's addresses: a record holds a name's place as 32 bits (block number and position in it).</summary>
    internal const long DefaultArenaLimitBytes = 1L << 32;

    internal const int MinIndexSlots = 1024;

    private const byte Directory = 0, FileHexETag = 1, FileOtherETag = 2, FileNoETag = 3, FileDashHexETag = 4;
    private const byte KindMask = 7, WideFlag = 0x80;
    private const byte NamesOnlyFlag = 0x40; // a directory whose listing the kernel got without its files' attributes
    private const ulong MaxCompactIno = (1UL << 48) - 1;
    private const int RecordBlockShift = 11; // log2(RecordsPerBlock)
    private const int MaxDepth = 4096;

    /// <summary>The digits of the packed ETag forms: lowercase only, so that unpacking gives the same string back.</summary>
    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, string> _addresses = []; // the rare file whose address is not source + path
    private readonly string _rootPath;
    private readonly ulong _rootIno;
    private readonly int _recentLimit;
    private readonly int _arenaBlockBytes;
    private readonly int _arenaBlockShift;
    private readonly long _arenaLimitBytes;

    private nint[] _recordBlocks = new nint[4];
    private int _recordBlockCount;
    private int _count;
    private int _recent; // records with no reference
    private readonly ulong[] _recentInos; // every inode that became recent since the last sweep (some referenced again since)
    private int _recentInoCount;

    // Record number + 1 per slot, 0 = empty; linear probing, deletion by backward shift. Both have _indexSlots slots.
    private int* _byIno;
    private int* _byName;
    private int _indexSlots;

    private readonly List<ArenaBlock> _arena = [];
    private long _arenaLive; // bytes of names and ETags that records point at
    private long _arenaGarbage; // bytes of removed names and unused block tails

    // Wide records' side entries, by the number in their record's NameOffset; a freed number is used again.
    private readonly List<WideRecord?> _wide = [];
    private readonly Stack<int> _freeWide = [];
    private long _wideBytes;

    private bool _disposed;
    private int _compactions;
    private int _reindexes;
    private int _sweeps;
    private int _widened;

    /// <param name="recentLimit">Inodes kept with no reference at most; past it, all of them go (a bound, not a budget per file).</param>
    /// <param name="arenaBlockBytes">The name arena's block size, a power of two: smaller in tests, so they compact it often.</param>
    /// <param name="arenaLimitBytes">The arena's addresses (at most 4 GiB): smaller in tests, so they reach it.</param>
    public InodeTable(ulong rootIno, string rootPath, int recentLimit, int arenaBlockBytes = DefaultArenaBlockBytes, long arenaLimitBytes = DefaultArenaLimitBytes)
    {
        if (!BitOperations.IsPow2(arenaBlockBytes) || arenaLimitBytes < arenaBlockBytes || arenaLimitBytes > DefaultArenaLimitBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(arenaBlockBytes), $"an arena of {arenaBlockBytes}-byte blocks and {arenaLimitBytes} bytes of addresses: blocks are a power of two, addresses at least a block and at most 4 GiB");
        }

        _rootIno = rootIno;
        _rootPath = rootPath;
        _recentLimit = recentLimit;
        _recentInos = new ulong[Math.Max(16, 4 * recentLimit)];
        _arenaBlockBytes = arenaBlockBytes;
        _arenaBlockShift = BitOperations.Log2((uint)arenaBlockBytes);
        _arenaLimitBytes = arenaLimitBytes;
        _indexSlots = MinIndexSlots;
        _byIno = (int*)NativeMemory.AllocZeroed((nuint)_indexSlots, sizeof(int));
        _byName = (int*)NativeMemory.AllocZeroed((nuint)_indexSlots, sizeof(int));
        Add(rootIno, 0, [], Directory, 0, 0, 0, 0, null, 1);
    }

    ~InodeTable() => Free();

    /// <summary>The inodes the kernel holds references to, and the root.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count - _recent;
            }
        }
    }

    /// <summary>The inodes kept with no reference (at most the limit given).</summary>
    public int RecentCount
    {
        get
        {
            lock (_lock)
            {
                return _recent;
            }
        }
    }

    /// <summary>Bytes the table holds: record blocks, name arena and indexes (native), and wide records' side entries (for tests and sizing).</summary>
    public long MemoryBytes
    {
        get
        {
            lock (_lock)
            {
                return ((long)_recordBlockCount * RecordsPerBlock * sizeof(Record)) + ((long)_arena.Count * _arenaBlockBytes)
                    + (2L * _indexSlots * sizeof(int)) + _wideBytes;
            }
        }
    }

    /// <summary>
    /// How often the name arena was compacted, the indexes rebuilt at another size, the recent inodes dropped, and a
    /// record made wide (for tests).
    /// </summary>
    internal (int Compactions, int Reindexes, int Sweeps, int Widened) Maintenance => (_compactions, _reindexes, _sweeps, _widened);

    /// <summary>A referenced inode's attributes.</summary>
    public bool TryGet(ulong ino, out InodeInfo info)
    {
        lock (_lock)
        {
            var at = FindReferenced(ino);
            if (at >= 0)
            {
                ref var e = ref At(at);
                info = new InodeInfo(ino, KindOf(e) == Directory, SizeOf(e), e.MtimeNs);
                return true;
            }
        }

        info = default;
        return false;
    }

    /// <summary>The child <paramref name="name"/> of <paramref name="parent"/> when the table holds it, referenced or recent.</summary>
    public ListingItem? Lookup(ulong parent, string name)
    {
        var length = Encoding.UTF8.GetByteCount(name);
        if (length > ushort.MaxValue)
        {
            return null;
        }

        var rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> bytes = rented is null ? stackalloc byte[512] : rented;
            bytes = bytes[..Encoding.UTF8.GetBytes(name, bytes)];
            lock (_lock)
            {
                var at = FindName(parent, bytes);
                return at < 0 ? null : ItemOf(at, name);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Hands out one reference to the child <paramref name="item"/> of <paramref name="parent"/> (adding it if new).</summary>
    public void Reference(ulong parent, ListingItem item)
    {
        lock (_lock)
        {
            var at = Find(item.Ino);
            if (at >= 0)
            {
                ref var e = ref At(at);
                var lookups = LookupsOf(e);
                if (lookups == 0)
                {
                    _recent--;
                }

                SetLookups(ref e, checked(lookups + 1)); // 2^64 references: the kernel counts in 64 bits too
                return;
            }

            AddItem(parent, item, 1);
        }
    }

    /// <summary>Keeps the child <paramref name="item"/> of <paramref name="parent"/> (listed by readdir) for the lookups that may follow, without a reference.</summary>
    public void Remember(ulong parent, ListingItem item)
    {
        lock (_lock)
        {
            if (!_disposed && Find(item.Ino) < 0)
            {
                AddItem(parent, item, 0);
                BecameRecent(item.Ino);
            }
        }
    }

    /// <summary>Gives back <paramref name="count"/> references; at zero the inode is kept as a recent one (the root always stays).</summary>
    public void Forget(ulong ino, ulong count)
    {
        if (ino == _rootIno)
        {
            return;
        }

        lock (_lock)
        {
            var at = FindReferenced(ino);
            if (at < 0)
            {
                return;
            }

            ref var e = ref At(at);
            var lookups = LookupsOf(e);
            if (lookups > count)
            {
                SetLookups(ref e, lookups - count);
                return;
            }

            SetLookups(ref e, 0);
            BecameRecent(ino);
        }
    }

    /// <summary>
    /// Notes that the kernel got a listing of directory <paramref name="ino"/> without its files' attributes (names
    /// only), which it may keep in its readdir cache: a stat of those files is a lookup. Nothing when the table does
    /// not hold the directory (then the kernel holds no inode for it, so no cached listing either).
    /// </summary>
    public void MarkListedNamesOnly(ulong ino) => NamesOnly(ino, set: true, clear: false);

    /// <summary>Whether directory <paramref name="ino"/> was listed names only (<see cref="MarkListedNamesOnly"/>) since the last <see cref="TakeListedNamesOnly"/>.</summary>
    public bool ListedNamesOnly(ulong ino) => NamesOnly(ino, set: false, clear: false);

    /// <summary>Whether directory <paramref name="ino"/> was listed names only, clearing the mark (its listing is about to be sent again).</summary>
    public bool TakeListedNamesOnly(ulong ino) => NamesOnly(ino, set: false, clear: true);

    private bool NamesOnly(ulong ino, bool set, bool clear)
    {
        lock (_lock)
        {
            var at = Find(ino);
            if (at < 0)
            {
                return false;
            }

            ref var e = ref At(at);
            var was = (e.Flags & NamesOnlyFlag) != 0;
            if (set && KindOf(e) == Directory)
            {
                e.Flags |= NamesOnlyFlag;
            }
            else if (clear)
            {
                e.Flags &= unchecked((byte)~NamesOnlyFlag);
            }

            return was;
        }
    }

    /// <summary>A referenced inode's path in the snapshot ("" for the snapshot root); null when the kernel holds no reference to it.</summary>
    public string? PathOf(ulong ino)
    {
        lock (_lock)
        {
            return FindReferenced(ino) < 0 ? null : PathOfLocked(ino);
        }
    }

    /// <summary>
    /// A referenced file's listing entry and path, rebuilt from the table (the address only when it is not source +
    /// path); null when the inode is unknown, not referenced or a directory.
    /// </summary>
    public (ListingItem File, string Path)? FileOf(ulong ino)
    {
        lock (_lock)
        {
            var at = FindReferenced(ino);
            if (at < 0 || KindOf(At(at)) == Directory || PathOfLocked(ino) is not { } path)
            {
                return null;
            }

            return (ItemOf(at, null), path);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            Free();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A quoted 32-digit lowercase hex ETag (S3's MD5 form) as 16 bytes; exactly reversible by <see cref="UnpackHexETag"/>.</summary>
    internal static bool TryPackHexETag(string etag, out ulong high, out ulong low)
    {
        high = low = 0;
        if (etag.Length != 34 || etag[0] != '"' || etag[33] != '"')
        {
            return false;
        }

        var hex = etag.AsSpan(1, 32);
        if (hex.ContainsAnyExcept(LowerHexDigits))
        {
            return false;
        }

        return ulong.TryParse(hex[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out high)
            && ulong.TryParse(hex[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out low);
    }

    internal static string UnpackHexETag(ulong high, ulong low) => string.Create(CultureInfo.InvariantCulture, $"\"{high:x16}{low:x16}\"");

    /// <summary>
    /// Two unquoted lowercase hex numbers of at most 16 digits each, with no leading zero, joined by a dash (a file://
    /// source's ETag: its modification time's ticks and its size) as 16 bytes; exactly reversible by
    /// <see cref="UnpackDashHexETag"/>.
    /// </summary>
    internal static bool TryPackDashHexETag(string etag, out ulong high, out ulong low)
    {
        high = low = 0;
        var dash = etag.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && TryParseCanonicalHex(etag.AsSpan(0, dash), out high) && TryParseCanonicalHex(etag.AsSpan(dash + 1), out low);
    }

    internal static string UnpackDashHexETag(ulong high, ulong low) => string.Create(CultureInfo.InvariantCulture, $"{high:x}-{low:x}");

    /// <summary>1 to 16 lowercase hex digits that the "x" format gives back the same: no leading zero but in "0".</summary>
    private static bool TryParseCanonicalHex(ReadOnlySpan<char> hex, out ulong value)
    {
        value = 0;
        if (hex.Length is 0 or > 16 || (hex.Length > 1 && hex[0] == '0') || hex.ContainsAnyExcept(LowerHexDigits))
        {
            return false;
        }

        return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The record as a listing item (<paramref name="name"/> when the caller has it already).</summary>
    private ListingItem ItemOf(int at, string? name)
    {
        ref var e = ref At(at);
        name ??= Encoding.UTF8.GetString(NameOf(e));
        var ino = InoOf(e);
        if (KindOf(e) == Directory)
        {
            return new ListingItem(name, true, 0, 0, null, null, null, ino);
        }

        var etag = KindOf(e) switch
        {
            FileHexETag => UnpackHexETag(e.ETagHigh, e.ETagLow),
            FileDashHexETag => UnpackDashHexETag(e.ETagHigh, e.ETagLow),
            FileOtherETag => Encoding.UTF8.GetString(Stored(e)[NameLengthOf(e)..]),
            _ => null,
        };
        return new ListingItem(name, false, SizeOf(e), e.MtimeNs, etag, null, _addresses.GetValueOrDefault(ino), ino);
    }

    private string? PathOfLocked(ulong ino)
    {
        if (ino == _rootIno)
        {
            return _rootPath;
        }

        // The chain from the inode up to the root, as record numbers; then the names root-first, '/'-separated.
        Span<int> chain = stackalloc int[64];
        int[]? rented = null;
        var depth = 0;
        var bytes = 0;
        try
        {
            for (var current = ino; current != _rootIno;)
            {
                var at = Find(current);
                if (at < 0 || depth == MaxDepth)
                {
                    return null;
                }

                if (depth == chain.Length)
                {
                    var larger = ArrayPool<int>.Shared.Rent(chain.Length * 4);
                    chain.CopyTo(larger);
                    if (rented is not null)
                    {
                        ArrayPool<int>.Shared.Return(rented);
                    }

                    chain = rented = larger;
                }

                chain[depth++] = at;
                bytes += NameLengthOf(At(at)) + 1;
                current = ParentOf(At(at));
            }

            var buffer = ArrayPool<byte>.Shared.Rent(bytes);
            try
            {
                var written = 0;
                for (var i = depth - 1; i >= 0; i--)
                {
                    if (written > 0)
                    {
                        buffer[written++] = (byte)'/';
                    }

                    var name = NameOf(At(chain[i]));
                    name.CopyTo(buffer.AsSpan(written));
                    written += name.Length;
                }

                var relative = Encoding.UTF8.GetString(buffer, 0, written);
                return _rootPath.Length == 0 ? relative : string.Concat(_rootPath, "/", relative);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    // ---- records: dense, in native blocks

    private ref Record At(int at) =>
        ref new Span<Record>((void*)_recordBlocks[at >> RecordBlockShift], RecordsPerBlock)[at & (RecordsPerBlock - 1)];

    private static byte KindOf(in Record e) => (byte)(e.Flags & KindMask);

    private static bool IsWide(in Record e) => (e.Flags & WideFlag) != 0;

    private WideRecord WideOf(in Record e) => _wide[(int)e.NameOffset]!;

    private ulong InoOf(in Record e) => IsWide(e) ? WideOf(e).Ino : e.InoLow | ((ulong)e.InoHigh << 32);

    private ulong ParentOf(in Record e) => IsWide(e) ? WideOf(e).Parent : e.ParentLow | ((ulong)e.ParentHigh << 32);

    private long SizeOf(in Record e) => IsWide(e) ? WideOf(e).Size : e.Size;

    private ulong LookupsOf(in Record e) => IsWide(e) ? WideOf(e).Lookups : e.Lookups;

    private int NameLengthOf(in Record e) => IsWide(e) ? WideOf(e).NameLength : e.NameLength;

    /// <summary>Sets the references held; past 65,535 the record becomes wide (the kernel's count is 64 bits: never saturate it).</summary>
    private void SetLookups(ref Record e, ulong lookups)
    {
        if (!IsWide(e) && lookups > ushort.MaxValue)
        {
            Widen(ref e);
        }

        if (IsWide(e))
        {
            WideOf(e).Lookups = lookups;
        }
        else
        {
            e.Lookups = (ushort)lookups;
        }
    }

    private void AddItem(ulong parent, ListingItem item, int lookups)
    {
        if (_disposed)
        {
            return;
        }

        var nameBytes = Encoding.UTF8.GetByteCount(item.Name);
        if (nameBytes > ushort.MaxValue)
        {
            throw new ArgumentException($"a name of {nameBytes} bytes: longer than any the snapshot can hold", nameof(item));
        }

        var name = nameBytes <= 512 ? stackalloc byte[nameBytes] : new byte[nameBytes];
        Encoding.UTF8.GetBytes(item.Name, name);
        if (item.Dir)
        {
            Add(item.Ino, parent, name, Directory, 0, 0, 0, 0, null, lookups);
        }
        else if (item.ETag is null)
        {
            Add(item.Ino, parent, name, FileNoETag, item.Size, item.MtimeNs, 0, 0, null, lookups);
        }
        else if (TryPackHexETag(item.ETag, out var high, out var low))
        {
            Add(item.Ino, parent, name, FileHexETag, item.Size, item.MtimeNs, high, low, null, lookups);
        }
        else if (TryPackDashHexETag(item.ETag, out high, out low))
        {
            Add(item.Ino, parent, name, FileDashHexETag, item.Size, item.MtimeNs, high, low, null, lookups);
        }
        else
        {
            // Rare (multipart uploads, other stores): kept after the name, its length in ETagLow.
            Add(item.Ino, parent, name, FileOtherETag, item.Size, item.MtimeNs, 0, 0, item.ETag, lookups);
        }

        if (!item.Dir && item.Address is not null)
        {
            _addresses[item.Ino] = item.Address;
        }
    }

    /// <summary>A new record for <paramref name="ino"/> (not in the table), indexed: compact when every value fits, else wide.</summary>
    private void Add(ulong ino, ulong parent, ReadOnlySpan<byte> name, byte kind, long size, long mtimeNs, ulong high, ulong low, string? otherETag, int lookups)
    {
        var etagBytes = otherETag is null ? 0 : Encoding.UTF8.GetByteCount(otherETag);
        if (otherETag is not null)
        {
            low = (ulong)etagBytes;
        }

        if (_count == _recordBlockCount * RecordsPerBlock)
        {
            if (_recordBlockCount == _recordBlocks.Length)
            {
                Array.Resize(ref _recordBlocks, _recordBlocks.Length * 2);
            }

            _recordBlocks[_recordBlockCount++] = (nint)NativeMemory.Alloc(RecordsPerBlock, (nuint)sizeof(Record));
        }

        if ((_count + 1) * 4L > _indexSlots * 3L)
        {
            Reindex(_indexSlots + (_indexSlots / 2));
        }

        var at = _count++;
        ref var e = ref At(at);
        e = new Record { MtimeNs = mtimeNs, ETagHigh = high, ETagLow = low, Flags = kind };
        var compact = ino <= MaxCompactIno && parent <= MaxCompactIno && name.Length <= byte.MaxValue && (ulong)size <= uint.MaxValue;
        if (compact && TryAppend(name.Length + etagBytes, out var offset, out var destination))
        {
            e.InoLow = (uint)ino;
            e.InoHigh = (ushort)(ino >> 32);
            e.ParentLow = (uint)parent;
            e.ParentHigh = (ushort)(parent >> 32);
            e.Size = (uint)size;
            e.Lookups = (ushort)lookups;
            e.NameLength = (byte)name.Length;
            e.NameOffset = offset;
        }
        else
        {
            var stored = new byte[name.Length + etagBytes];
            MakeWide(ref e, new WideRecord { Ino = ino, Parent = parent, Size = size, Lookups = (ulong)lookups, NameLength = name.Length, Stored = stored });
            destination = stored;
        }

        name.CopyTo(destination);
        if (otherETag is not null)
        {
            Encoding.UTF8.GetBytes(otherETag, destination[name.Length..]);
        }

        Insert(_byIno, InoHome(ino), at);
        Insert(_byName, NameHome(parent, name), at);
    }

    /// <summary>Moves a compact record's values and name into a side entry (more references than 16 bits hold, or no arena address left).</summary>
    private void Widen(ref Record e)
    {
        var stored = Stored(e).ToArray();
        var wide = new WideRecord { Ino = InoOf(e), Parent = ParentOf(e), Size = SizeOf(e), Lookups = LookupsOf(e), NameLength = NameLengthOf(e), Stored = stored };
        _arenaLive -= stored.Length;
        _arenaGarbage += stored.Length;
        MakeWide(ref e, wide);
    }

    /// <summary>Points <paramref name="e"/> at <paramref name="wide"/>; its compact values are cleared (the side entry has them).</summary>
    private void MakeWide(ref Record e, WideRecord wide)
    {
        _widened++;
        _wideBytes += WideRecord.OverheadBytes + wide.Stored.Length;
        int number;
        if (_freeWide.TryPop(out number))
        {
            _wide[number] = wide;
        }
        else
        {
            number = _wide.Count;
            _wide.Add(wide);
        }

        e.InoLow = e.ParentLow = e.Size = 0;
        e.InoHigh = e.ParentHigh = e.Lookups = 0;
        e.NameLength = 0;
        e.NameOffset = (uint)number;
        e.Flags |= WideFlag;
    }

    /// <summary>
    /// Counts a recent inode; past the limit drops all of them (a bound: start over rather than grow with the snapshot),
    /// found through the inodes noted since the last time, not by a pass over the table.
    /// </summary>
    private void BecameRecent(ulong ino)
    {
        _recent++;
        _recentInos[_recentInoCount++] = ino;
        if (_recent <= _recentLimit && _recentInoCount < _recentInos.Length)
        {
            return;
        }

        _sweeps++;
        foreach (var recent in _recentInos.AsSpan(0, _recentInoCount))
        {
            var at = Find(recent);
            if (at >= 0 && LookupsOf(At(at)) == 0)
            {
                Remove(at);
            }
        }

        _recentInoCount = _recent = 0;
    }

    /// <summary>Removes record <paramref name="at"/>: the last record moves into its place, so records stay dense.</summary>
    private void Remove(int at)
    {
        ref var e = ref At(at);
        var ino = InoOf(e);
        _addresses.Remove(ino);
        Unindex(_byIno, SlotOf(_byIno, InoHome(ino), at), isInoIndex: true);
        Unindex(_byName, SlotOf(_byName, NameHome(ParentOf(e), NameOf(e)), at), isInoIndex: false);
        if (IsWide(e))
        {
            _wideBytes -= WideRecord.OverheadBytes + WideOf(e).Stored.Length;
            _wide[(int)e.NameOffset] = null;
            _freeWide.Push((int)e.NameOffset);
        }
        else
        {
            _arenaLive -= StoredLength(e);
            _arenaGarbage += StoredLength(e);
        }

        var last = _count - 1;
        if (at != last)
        {
            ref var moved = ref At(last);
            _byIno[SlotOf(_byIno, InoHome(InoOf(moved)), last)] = at + 1;
            _byName[SlotOf(_byName, NameHome(ParentOf(moved), NameOf(moved)), last)] = at + 1;
            e = moved;
        }

        _count--;

        // Shrink with hysteresis: one spare record block, the indexes back to a quarter to half full.
        while (_recordBlockCount > 1 && _count <= (_recordBlockCount - 2) * RecordsPerBlock)
        {
            NativeMemory.Free((void*)_recordBlocks[--_recordBlockCount]);
            _recordBlocks[_recordBlockCount] = 0;
        }

        // Not below what the recent inodes fill: a sweep empties them all, and they fill again.
        var floor = Math.Max(MinIndexSlots, 2 * _recentLimit);
        if (_indexSlots > floor && _count * 16L < _indexSlots * 3L)
        {
            Reindex(Math.Max(floor, _indexSlots / 3 * 2));
        }

        if (_arenaGarbage > Math.Max(_arenaLive, 2L * _arenaBlockBytes))
        {
            CompactArena();
        }
    }

    // ---- indexes: inode number -> record, (parent, name) -> record

    /// <summary>A hash's home slot: its mixed top 32 bits scaled to the slot count (which grows by halves, not doubling).</summary>
    private int Home(ulong hash) => (int)((((hash * 0x9E3779B97F4A7C15UL) >> 32) * (ulong)(uint)_indexSlots) >> 32);

    private int Next(int slot) => slot + 1 == _indexSlots ? 0 : slot + 1;

    /// <summary>Steps from slot <paramref name="from"/> forward to slot <paramref name="to"/>, wrapping around.</summary>
    private int Distance(int from, int to) => to >= from ? to - from : to + _indexSlots - from;

    private int InoHome(ulong ino) => Home(ino);

    private int NameHome(ulong parent, ReadOnlySpan<byte> name) => Home(System.IO.Hashing.XxHash3.HashToUInt64(name, (long)parent));

    private int FindReferenced(ulong ino)
    {
        var at = Find(ino);
        return at >= 0 && (LookupsOf(At(at)) > 0 || ino == _rootIno) ? at : -1;
    }

    /// <summary>The record number of <paramref name="ino"/>, or -1.</summary>
    private int Find(ulong ino)
    {
        if (_disposed)
        {
            return -1;
        }

        for (var slot = InoHome(ino); ; slot = Next(slot))
        {
            var value = _byIno[slot];
            if (value == 0)
            {
                return -1;
            }

            if (InoOf(At(value - 1)) == ino)
            {
                return value - 1;
            }
        }
    }

    /// <summary>The record number of the child <paramref name="name"/> of <paramref name="parent"/>, or -1.</summary>
    private int FindName(ulong parent, ReadOnlySpan<byte> name)
    {
        if (_disposed)
        {
            return -1;
        }

        for (var slot = NameHome(parent, name); ; slot = Next(slot))
        {
            var value = _byName[slot];
            if (value == 0)
            {
                return -1;
            }

            ref var e = ref At(value - 1);
            if (ParentOf(e) == parent && NameLengthOf(e) == name.Length && NameOf(e).SequenceEqual(name) && InoOf(e) != _rootIno)
            {
                return value - 1;
            }
        }
    }

    /// <summary>The slot of <paramref name="index"/> holding record <paramref name="at"/>, whose home slot is <paramref name="home"/>.</summary>
    private int SlotOf(int* index, int home, int at)
    {
        for (var slot = home; ; slot = Next(slot))
        {
            var value = index[slot];
            if (value == 0)
            {
                throw new InvalidOperationException($"record {at} is missing from an index of the inode table");
            }

            if (value == at + 1)
            {
                return slot;
            }
        }
    }

    private void Insert(int* index, int home, int at)
    {
        var slot = home;
        while (index[slot] != 0)
        {
            slot = Next(slot);
        }

        index[slot] = at + 1;
    }

    /// <summary>Empties slot <paramref name="hole"/> and shifts back the entries of its probe run that may move.</summary>
    private void Unindex(int* index, int hole, bool isInoIndex)
    {
        for (var slot = Next(hole); index[slot] != 0; slot = Next(slot))
        {
            ref var e = ref At(index[slot] - 1);
            var home = isInoIndex ? InoHome(InoOf(e)) : NameHome(ParentOf(e), NameOf(e));
            // The entry may fill the hole when its home is not cyclically within (hole, slot].
            if (Distance(home, slot) >= Distance(hole, slot))
            {
                index[hole] = index[slot];
                hole = slot;
            }
        }

        index[hole] = 0;
    }

    private void Reindex(int slots)
    {
        _reindexes++;
        NativeMemory.Free(_byIno);
        NativeMemory.Free(_byName);
        _byIno = (int*)NativeMemory.AllocZeroed((nuint)slots, sizeof(int));
        _byName = (int*)NativeMemory.AllocZeroed((nuint)slots, sizeof(int));
        _indexSlots = slots;
        for (var at = 0; at < _count; at++)
        {
            ref var e = ref At(at);
            Insert(_byIno, InoHome(InoOf(e)), at);
            Insert(_byName, NameHome(ParentOf(e), NameOf(e)), at);
        }
    }

    // ---- names: one append-only arena (wide records keep theirs in their side entry)

    private int StoredLength(in Record e) => NameLengthOf(e) + (KindOf(e) == FileOtherETag ? (int)e.ETagLow : 0);

    /// <summary>The name and, for <see cref="FileOtherETag"/>, the ETag after it.</summary>
    private ReadOnlySpan<byte> Stored(in Record e) => IsWide(e) ? WideOf(e).Stored : InArena(_arena, e);

    private ReadOnlySpan<byte> InArena(List<ArenaBlock> arena, in Record e)
    {
        var block = arena[(int)(e.NameOffset >> _arenaBlockShift)];
        return new ReadOnlySpan<byte>((void*)block.Pointer, _arenaBlockBytes).Slice((int)(e.NameOffset & (uint)(_arenaBlockBytes - 1)), StoredLength(e));
    }

    private ReadOnlySpan<byte> NameOf(in Record e) => Stored(e)[..NameLengthOf(e)];

    /// <summary>
    /// Room for <paramref name="length"/> bytes at the arena's end, at <paramref name="offset"/> (block number and position
    /// in it, 32 bits); false when they are longer than a block or the arena has no address left for another block.
    /// </summary>
    private bool TryAppend(int length, out uint offset, out Span<byte> destination)
    {
        var block = _arena.Count - 1;
        if (block < 0 || _arenaBlockBytes - _arena[block].Used < length)
        {
            if (length > _arenaBlockBytes || ((long)_arena.Count + 1) * _arenaBlockBytes > _arenaLimitBytes)
            {
                offset = 0;
                destination = default;
                return false;
            }

            if (block >= 0)
            {
                _arenaGarbage += _arenaBlockBytes - _arena[block].Used; // the tail no name will use
            }

            _arena.Add(new ArenaBlock((nint)NativeMemory.Alloc((nuint)_arenaBlockBytes), 0));
            block++;
        }

        var b = _arena[block];
        destination = new Span<byte>((void*)b.Pointer, _arenaBlockBytes).Slice(b.Used, length);
        _arena[block] = b with { Used = b.Used + length };
        _arenaLive += length;
        offset = ((uint)block << _arenaBlockShift) | (uint)b.Used;
        return true;
    }

    /// <summary>Copies every live name into fresh blocks in record order and frees the old ones.</summary>
    private void CompactArena()
    {
        _compactions++;
        var old = new List<ArenaBlock>(_arena);
        _arena.Clear();
        _arenaLive = _arenaGarbage = 0;
        for (var at = 0; at < _count; at++)
        {
            ref var e = ref At(at);
            if (IsWide(e))
            {
                continue;
            }

            // Always room: appending opens a block only when the next name does not fit the last one, so any two blocks
            // in a row hold more than a block's bytes, and m blocks more than m / 2 (rounded down) blocks' worth. Compaction
            // runs when the garbage outweighs the live names, so these are under half of the arena's addresses: they fit.
            var source = InArena(old, e);
            if (!TryAppend(source.Length, out var offset, out var destination))
            {
                throw new InvalidOperationException($"compacting the inode table's name arena ran out of addresses with {_arenaLive:N0} live bytes");
            }

            source.CopyTo(destination);
            e.NameOffset = offset;
        }

        foreach (var block in old)
        {
            NativeMemory.Free((void*)block.Pointer);
        }
    }

    private void Free()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (var i = 0; i < _recordBlockCount; i++)
        {
            NativeMemory.Free((void*)_recordBlocks[i]);
        }

        foreach (var block in _arena)
        {
            NativeMemory.Free((void*)block.Pointer);
        }

        NativeMemory.Free(_byIno);
        NativeMemory.Free(_byName);
        _byIno = _byName = null;
        _recordBlockCount = _count = _recent = _indexSlots = 0;
        _arena.Clear();
        _wide.Clear();
        _freeWide.Clear();
        _wideBytes = 0;
    }

    private readonly record struct ArenaBlock(nint Pointer, int Used);

    /// <summary>A wide record's values in full, and its name (with an other ETag after it); rare, so a managed object.</summary>
    private sealed class WideRecord
    {
        /// <summary>About what the object, its array's header and its list slot cost (for <see cref="MemoryBytes"/>).</summary>
        public const int OverheadBytes = 96;

        public ulong Ino;
        public ulong Parent;
        public long Size;
        public ulong Lookups;
        public int NameLength;
        public required byte[] Stored;
    }

    /// <summary>
    /// 48 bytes. Compact: the inode and parent numbers in 48 bits each (inode numbers are (k + 1) &lt;&lt; 12 | d,
    /// decision 0013: 2^36 files before they need more), the size in 32 bits, up to 65,535 references, a name of up to
    /// 255 bytes at a 32-bit arena address. Wide (<see cref="WideFlag"/>): those fields are zero and
    /// <see cref="NameOffset"/> is the side entry's number; kind, mtime and ETag are always here.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Record
    {
        public long MtimeNs;
        public ulong ETagHigh;
        public ulong ETagLow; // for FileOtherETag: the ETag's length in bytes, stored after the name
        public uint InoLow;
        public ushort InoHigh;
        public ushort Lookups; // references the kernel holds; 0: a recent inode
        public uint ParentLow;
        public ushort ParentHigh;
        public byte NameLength;
        public byte Flags; // the kind (KindMask) | NamesOnlyFlag | WideFlag
        public uint NameOffset; // arena block << log2(block bytes) | position; wide: the side entry's number
        public uint Size;
    }
}
