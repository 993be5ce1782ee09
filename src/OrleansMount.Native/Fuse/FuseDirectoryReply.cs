using System.Buffers;
using System.Text;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// Builds one readdir/readdirplus reply with <c>fuse_add_direntry</c>/<c>fuse_add_direntry_plus</c>
/// into a pooled buffer of exactly <see cref="Capacity"/> bytes. Each add passes the offset of the NEXT
/// entry; an entry that does not fit is not added (Try* returns false) and the caller stops and sends.
/// An empty reply tells the kernel the directory is at its end.
/// Size the reply to the entries it will hold (<see cref="EntrySize"/>), not to the kernel's <c>size</c>:
/// the kernel asks for up to 1 MiB (glibc reads a directory with a buffer of its st_blksize, which the
/// mount reports as 1 MiB), a listing page fills a fifth of that, and the shared pool keeps a buffer of
/// each size on every thread that replied: a 1 MiB buffer per thread, pinned for the process's life.
/// Not thread-safe; use it from one thread, then <see cref="Send"/> once.
/// </summary>
public sealed class FuseDirectoryReply
{
    private const int MaxStackName = 512;

    // libfuse's packing (fuse_lowlevel.c, FUSE_DIRENT_ALIGN): a struct fuse_dirent (24 bytes) before the name,
    // a struct fuse_entry_out (128) before that for readdirplus, padded to 8 bytes. FuseDirectoryReplyTests
    // checks these against libfuse itself.
    private const int DirentHeaderBytes = 24;
    private const int EntryOutBytes = 128;

    private readonly FuseRequest _request;
    private byte[]? _buffer;
    private int _used;

    /// <param name="capacity">The reply's bytes at most (at most the kernel's size; an empty reply needs no buffer).</param>
    public FuseDirectoryReply(FuseRequest request, int capacity, bool plus)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _request = request;
        Plus = plus;
        Capacity = capacity;
        _buffer = capacity == 0 ? [] : ArrayPool<byte>.Shared.Rent(capacity);
    }

    public bool Plus { get; }

    public int Capacity { get; }

    /// <summary>Bytes filled so far.</summary>
    public int Length => _used;

    /// <summary>Entries added so far.</summary>
    public int Count { get; private set; }

    /// <summary>The bytes an entry whose name is <paramref name="nameBytes"/> UTF-8 bytes long takes in a reply (what libfuse's add returns).</summary>
    public static int EntrySize(int nameBytes, bool plus) => ((plus ? EntryOutBytes + DirentHeaderBytes : DirentHeaderBytes) + nameBytes + 7) & ~7;

    /// <summary>
    /// The entries from <paramref name="start"/> that fit in <paramref name="size"/> bytes: returns the index after
    /// the last one and their <paramref name="bytes"/>, the capacity a reply of them needs. Reads each entry's name
    /// only; reading an entry again to add it costs far less than the upcall it is part of.
    /// </summary>
    public static long Fitting(IReadOnlyList<FuseDirectoryEntry> entries, long start, int size, bool plus, out int bytes)
    {
        ArgumentNullException.ThrowIfNull(entries);
        bytes = 0;
        var end = start;
        for (; end < entries.Count; end++)
        {
            var needed = EntrySize(Encoding.UTF8.GetByteCount(entries[(int)end].Name), plus);
            if (needed > size - bytes)
            {
                break;
            }

            bytes += needed;
        }

        return end;
    }

    /// <summary>
    /// True when adding this entry to a readdirplus reply hands the kernel a lookup reference (the
    /// kernel skips "." and ".." and entries with inode 0), i.e. when the file system must count it.
    /// </summary>
    public static bool HandsOutReference(string name, in FuseEntry entry)
        => entry.Ino != 0 && name is not "." and not "..";

    /// <summary>Adds a plain readdir entry; <paramref name="mode"/> needs only the type bits.</summary>
    public unsafe bool TryAdd(string name, ulong ino, uint mode, long nextOffset)
    {
        if (Plus)
        {
            throw new InvalidOperationException("This is a readdirplus reply: use TryAddPlus.");
        }

        var stat = new NativeStat { Ino = ino, Mode = mode };
        return Add(name, &stat, null, nextOffset);
    }

    /// <summary>Adds a readdirplus entry; see <see cref="HandsOutReference"/> for the lookup-count rule.</summary>
    public unsafe bool TryAddPlus(string name, in FuseEntry entry, long nextOffset)
    {
        if (!Plus)
        {
            throw new InvalidOperationException("This is a plain readdir reply: use TryAdd.");
        }

        var native = FuseConvert.ToNative(entry);
        return Add(name, null, &native, nextOffset);
    }

    /// <summary>Sends the filled buffer (fuse_reply_buf) and releases it. Returns 0 or a negative errno.</summary>
    public int Send()
    {
        var buffer = _buffer ?? throw new InvalidOperationException("This directory reply was already sent.");
        _buffer = null;
        try
        {
            return _request.ReplyData(buffer.AsSpan(0, _used));
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private unsafe bool Add(string name, NativeStat* stat, NativeEntryParam* entry, long nextOffset)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var buffer = _buffer ?? throw new InvalidOperationException("This directory reply was already sent.");
        var byteCount = Encoding.UTF8.GetByteCount(name);
        var nameBytes = byteCount < MaxStackName ? stackalloc byte[byteCount + 1] : new byte[byteCount + 1];
        Encoding.UTF8.GetBytes(name, nameBytes);
        nameBytes[byteCount] = 0;

        var remaining = (nuint)(Capacity - _used);
        nuint needed;
        fixed (byte* namePtr = nameBytes)
        fixed (byte* bufferPtr = buffer)
        {
            // libfuse 3.14 does not dereference the request here; it is passed for form's sake.
            needed = stat is not null
                ? FuseNative.AddDirEntry(_request.Handle, bufferPtr + _used, remaining, namePtr, stat, nextOffset)
                : FuseNative.AddDirEntryPlus(_request.Handle, bufferPtr + _used, remaining, namePtr, entry, nextOffset);
        }

        if (needed > remaining)
        {
            return false;
        }

        _used += (int)needed;
        Count++;
        return true;
    }
}
