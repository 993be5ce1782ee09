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
/// The inodes the kernel holds references to (handed out by lookup and readdirplus, given back by forget), and
/// nothing else: the mount's only per-file memory. Each is a fixed 64-byte <see cref="Record"/> (number, parent's
/// number, size, mtime, ETag: a quoted 32-digit MD5 hex ETag, the usual S3 form, packed into 16 bytes, and where its
/// name lies) in native blocks of <see cref="RecordsPerBlock"/>, kept dense (a forgotten record's place is taken by
/// the last one); names as UTF-8 in one append-only arena of native blocks, compacted once more of it is garbage
/// than live; an open-addressing index from inode number to record, growing and shrinking by halves. So memory
/// follows the number of referenced inodes (~64 B + the name + ~8 B of index each), with no object per entry for
/// the GC to trace and no doubled array left behind on the large-object heap (decision 0023). Paths are rebuilt
/// from the parent chain when a file is opened or a directory listed; the kernel keeps a parent's dentry, so its
/// inode, while a child's is referenced: a referenced inode's chain is always complete.
/// </summary>
internal sealed unsafe class InodeTable : IDisposable
{
    /// <summary>Records per native block (128 KiB): what the table grows and shrinks by.</summary>
    internal const int RecordsPerBlock = 2048;

    /// <summary>Bytes per name-arena block (a longer name with its ETag gets a block of its own size).</summary>
    internal const int DefaultArenaBlockBytes = 128 * 1024;

    internal const int MinIndexSlots = 1024;

    private const byte Directory = 0, FileHexETag = 1, FileOtherETag = 2, FileNoETag = 3;
    private const int RecordBlockShift = 11; // log2(RecordsPerBlock)
    private const int MaxDepth = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, string> _addresses = []; // the rare file whose address is not source + path
    private readonly string _rootPath;
    private readonly ulong _rootIno;
    private readonly int _arenaBlockBytes;

    private nint[] _recordBlocks = new nint[4];
    private int _recordBlockCount;
    private int _count;

    private int* _index; // record number + 1 per slot, 0 = empty; linear probing, deletion by backward shift
    private int _indexSlots;

    private readonly List<ArenaBlock> _arena = [];
    private long _arenaLive; // bytes of names and ETags that records point at
    private long _arenaGarbage; // bytes of forgotten names and unused block tails

    private bool _disposed;
    private int _compactions;
    private int _reindexes;

    /// <param name="arenaBlockBytes">The name arena's block size: smaller in tests, so they compact it often.</param>
    public InodeTable(ulong rootIno, string rootPath, int arenaBlockBytes = DefaultArenaBlockBytes)
    {
        _arenaBlockBytes = arenaBlockBytes;
        _rootIno = rootIno;
        _rootPath = rootPath;
        _indexSlots = MinIndexSlots;
        _index = (int*)NativeMemory.AllocZeroed((nuint)_indexSlots, sizeof(int));
        ref var root = ref Add(rootIno);
        root.Kind = Directory;
        root.Lookups = 1;
    }

    ~InodeTable() => Free();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Native bytes the table holds: record blocks, name arena and index (for tests and sizing).</summary>
    public long MemoryBytes
    {
        get
        {
            lock (_lock)
            {
                var arena = 0L;
                foreach (var block in _arena)
                {
                    arena += block.Capacity;
                }

                return ((long)_recordBlockCount * RecordsPerBlock * sizeof(Record)) + arena + ((long)_indexSlots * sizeof(int));
            }
        }
    }

    /// <summary>How often the name arena was compacted and the index rebuilt at another size (for tests).</summary>
    internal (int Compactions, int Reindexes) Maintenance => (_compactions, _reindexes);

    public bool TryGet(ulong ino, out InodeInfo info)
    {
        lock (_lock)
        {
            var at = Find(ino);
            if (at >= 0)
            {
                ref var e = ref At(at);
                info = new InodeInfo(ino, e.Kind == Directory, e.Size, e.MtimeNs);
                return true;
            }
        }

        info = default;
        return false;
    }

    /// <summary>Hands out one reference to the child <paramref name="item"/> of <paramref name="parent"/> (adding it if new).</summary>
    public void Reference(ulong parent, ListingItem item)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var at = Find(item.Ino);
            if (at >= 0)
            {
                At(at).Lookups++;
                return;
            }

            var nameBytes = Encoding.UTF8.GetByteCount(item.Name);
            if (nameBytes > ushort.MaxValue)
            {
                throw new ArgumentException($"a name of {nameBytes} bytes: longer than any the snapshot can hold", nameof(item));
            }

            byte kind;
            ulong high = 0, low = 0;
            var etagBytes = 0;
            if (item.Dir)
            {
                kind = Directory;
            }
            else if (item.ETag is null)
            {
                kind = FileNoETag;
            }
            else if (TryPackHexETag(item.ETag, out high, out low))
            {
                kind = FileHexETag;
            }
            else
            {
                // Rare (multipart uploads, other stores): kept in the arena after the name, its length in ETagLow.
                kind = FileOtherETag;
                etagBytes = Encoding.UTF8.GetByteCount(item.ETag);
                low = (ulong)etagBytes;
            }

            var offset = Append(nameBytes + etagBytes, out var destination);
            Encoding.UTF8.GetBytes(item.Name, destination[..nameBytes]);
            if (etagBytes > 0)
            {
                Encoding.UTF8.GetBytes(item.ETag, destination[nameBytes..]);
            }

            ref var e = ref Add(item.Ino);
            e.Parent = parent;
            e.NameOffset = offset;
            e.NameLength = (ushort)nameBytes;
            e.Lookups = 1;
            e.Kind = kind;
            if (kind != Directory)
            {
                e.Size = item.Size;
                e.MtimeNs = item.MtimeNs;
                e.ETagHigh = high;
                e.ETagLow = low;
                if (item.Address is not null)
                {
                    _addresses[item.Ino] = item.Address;
                }
            }
        }
    }

    /// <summary>Gives back <paramref name="count"/> references; the inode goes at zero (the root never does).</summary>
    public void Forget(ulong ino, ulong count)
    {
        if (ino == _rootIno)
        {
            return;
        }

        lock (_lock)
        {
            var at = Find(ino);
            if (at < 0)
            {
                return;
            }

            ref var e = ref At(at);
            if ((ulong)e.Lookups > count)
            {
                e.Lookups -= (int)count;
                return;
            }

            Remove(at);
            _addresses.Remove(ino);
        }
    }

    /// <summary>The inode's path in the snapshot ("" for the snapshot root); null when the kernel holds no reference to it.</summary>
    public string? PathOf(ulong ino)
    {
        lock (_lock)
        {
            return PathOfLocked(ino);
        }
    }

    /// <summary>
    /// A file's listing entry and path, rebuilt from the table (the address only when it is not source + path);
    /// null when the inode is unknown or a directory.
    /// </summary>
    public (ListingItem File, string Path)? FileOf(ulong ino)
    {
        lock (_lock)
        {
            var at = Find(ino);
            if (at < 0 || At(at).Kind == Directory || PathOfLocked(ino) is not { } path)
            {
                return null;
            }

            ref var e = ref At(at);
            var etag = e.Kind switch
            {
                FileHexETag => UnpackHexETag(e.ETagHigh, e.ETagLow),
                FileOtherETag => Encoding.UTF8.GetString(Stored(e).Slice(e.NameLength, (int)e.ETagLow)),
                _ => null,
            };
            var name = Encoding.UTF8.GetString(NameOf(e));
            return (new ListingItem(name, false, e.Size, e.MtimeNs, etag, null, _addresses.GetValueOrDefault(ino), ino), path);
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
        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return ulong.TryParse(hex[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out high)
            && ulong.TryParse(hex[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out low);
    }

    internal static string UnpackHexETag(ulong high, ulong low) => string.Create(CultureInfo.InvariantCulture, $"\"{high:x16}{low:x16}\"");

    private string? PathOfLocked(ulong ino)
    {
        if (ino == _rootIno)
        {
            return _disposed ? null : _rootPath;
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
                bytes += At(at).NameLength + 1;
                current = At(at).Parent;
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

    /// <summary>A new record for <paramref name="ino"/> (not in the table), zeroed, indexed.</summary>
    private ref Record Add(ulong ino)
    {
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
            Reindex(_indexSlots * 2);
        }

        var at = _count++;
        ref var e = ref At(at);
        e = default;
        e.Ino = ino;
        Insert(ino, at);
        return ref e;
    }

    /// <summary>Removes record <paramref name="at"/>: the last record moves into its place, so records stay dense.</summary>
    private void Remove(int at)
    {
        ref var e = ref At(at);
        _arenaLive -= StoredLength(e);
        _arenaGarbage += StoredLength(e);
        Unindex(e.Ino);
        var last = _count - 1;
        if (at != last)
        {
            e = At(last);
            _index[SlotOf(e.Ino)] = at + 1;
        }

        _count--;

        // Shrink with hysteresis: one spare record block, the index back to a quarter to half full.
        while (_recordBlockCount > 1 && _count <= (_recordBlockCount - 2) * RecordsPerBlock)
        {
            NativeMemory.Free((void*)_recordBlocks[--_recordBlockCount]);
            _recordBlocks[_recordBlockCount] = 0;
        }

        if (_indexSlots > MinIndexSlots && _count * 8L < _indexSlots)
        {
            Reindex(_indexSlots / 2);
        }

        if (_arenaGarbage > Math.Max(_arenaLive, 2L * _arenaBlockBytes))
        {
            CompactArena();
        }
    }

    // ---- index: inode number -> record number

    private static int Hash(ulong ino, int slots) => (int)((ino * 0x9E3779B97F4A7C15UL) >> (64 - BitOperations.Log2((uint)slots)));

    /// <summary>The record number of <paramref name="ino"/>, or -1.</summary>
    private int Find(ulong ino)
    {
        if (_disposed)
        {
            return -1;
        }

        var mask = _indexSlots - 1;
        for (var slot = Hash(ino, _indexSlots); ; slot = (slot + 1) & mask)
        {
            var value = _index[slot];
            if (value == 0)
            {
                return -1;
            }

            if (At(value - 1).Ino == ino)
            {
                return value - 1;
            }
        }
    }

    /// <summary>The slot holding <paramref name="ino"/> (which is in the table).</summary>
    private int SlotOf(ulong ino)
    {
        var mask = _indexSlots - 1;
        for (var slot = Hash(ino, _indexSlots); ; slot = (slot + 1) & mask)
        {
            var value = _index[slot];
            if (value == 0)
            {
                throw new InvalidOperationException($"inode {ino} is missing from the inode table's index");
            }

            if (At(value - 1).Ino == ino)
            {
                return slot;
            }
        }
    }

    private void Insert(ulong ino, int at)
    {
        var mask = _indexSlots - 1;
        var slot = Hash(ino, _indexSlots);
        while (_index[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _index[slot] = at + 1;
    }

    /// <summary>Empties the slot of <paramref name="ino"/> and shifts back the entries of its probe run that may move.</summary>
    private void Unindex(ulong ino)
    {
        var mask = _indexSlots - 1;
        var hole = SlotOf(ino);
        for (var slot = (hole + 1) & mask; _index[slot] != 0; slot = (slot + 1) & mask)
        {
            var home = Hash(At(_index[slot] - 1).Ino, _indexSlots);
            // The entry may fill the hole when its home is not cyclically within (hole, slot].
            if (((slot - home) & mask) >= ((slot - hole) & mask))
            {
                _index[hole] = _index[slot];
                hole = slot;
            }
        }

        _index[hole] = 0;
    }

    private void Reindex(int slots)
    {
        _reindexes++;
        NativeMemory.Free(_index);
        _index = (int*)NativeMemory.AllocZeroed((nuint)slots, sizeof(int));
        _indexSlots = slots;
        for (var at = 0; at < _count; at++)
        {
            Insert(At(at).Ino, at);
        }
    }

    // ---- names: one append-only arena

    private static int StoredLength(in Record e) => e.NameLength + (e.Kind == FileOtherETag ? (int)e.ETagLow : 0);

    /// <summary>The name and, for <see cref="FileOtherETag"/>, the ETag after it.</summary>
    private ReadOnlySpan<byte> Stored(in Record e)
    {
        var block = _arena[(int)(e.NameOffset >> 32)];
        return new ReadOnlySpan<byte>((void*)block.Pointer, block.Capacity).Slice((int)(uint)e.NameOffset, StoredLength(e));
    }

    private ReadOnlySpan<byte> NameOf(in Record e) => Stored(e)[..e.NameLength];

    /// <summary>Room for <paramref name="length"/> bytes at the arena's end: their offset (block &lt;&lt; 32 | position).</summary>
    private long Append(int length, out Span<byte> destination)
    {
        var block = _arena.Count - 1;
        if (block < 0 || _arena[block].Capacity - _arena[block].Used < length)
        {
            if (block >= 0)
            {
                _arenaGarbage += _arena[block].Capacity - _arena[block].Used; // the tail no name will use
            }

            var capacity = Math.Max(_arenaBlockBytes, length);
            _arena.Add(new ArenaBlock((nint)NativeMemory.Alloc((nuint)capacity), capacity, 0));
            block++;
        }

        var b = _arena[block];
        destination = new Span<byte>((void*)b.Pointer, b.Capacity).Slice(b.Used, length);
        _arena[block] = b with { Used = b.Used + length };
        _arenaLive += length;
        return ((long)block << 32) | (uint)b.Used;
    }

    /// <summary>Copies every live name into fresh blocks in record order and frees the old ones.</summary>
    private void CompactArena()
    {
        _compactions++;
        var old = _arena.ToArray();
        _arena.Clear();
        _arenaLive = _arenaGarbage = 0;
        for (var at = 0; at < _count; at++)
        {
            ref var e = ref At(at);
            var block = old[(int)(e.NameOffset >> 32)];
            var source = new ReadOnlySpan<byte>((void*)block.Pointer, block.Capacity).Slice((int)(uint)e.NameOffset, StoredLength(e));
            e.NameOffset = Append(source.Length, out var destination);
            source.CopyTo(destination);
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

        NativeMemory.Free(_index);
        _index = null;
        _recordBlockCount = _count = _indexSlots = 0;
        _arena.Clear();
    }

    private readonly record struct ArenaBlock(nint Pointer, int Capacity, int Used);

    /// <summary>64 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Record
    {
        public ulong Ino;
        public ulong Parent;
        public long Size;
        public long MtimeNs;
        public ulong ETagHigh;
        public ulong ETagLow; // for FileOtherETag: the ETag's length in bytes, stored after the name
        public long NameOffset; // arena block << 32 | position
        public int Lookups;
        public ushort NameLength;
        public byte Kind;
    }
}
