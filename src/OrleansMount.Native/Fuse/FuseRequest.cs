namespace OrleansMount.Native.Fuse;

/// <summary>
/// One kernel request (<c>fuse_req_t</c>). Answer it exactly once, from any thread, now or later: a
/// second reply is refused (returns <c>-EALREADY</c> and is reported to the session's error hook) but
/// can still hit a recycled request, so treat it as a bug. Reply methods return 0 or a negative errno;
/// <c>-ENOENT</c> means the kernel no longer waits for the answer (interrupted), so a reference that a
/// reply would have handed out was not taken.
/// </summary>
public readonly struct FuseRequest : IEquatable<FuseRequest>
{
    private readonly IFuseReplySink? _sink;

    public FuseRequest(IFuseReplySink sink, nint handle)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        Handle = handle;
    }

    /// <summary>The native <c>fuse_req_t</c> (or a test's identifier).</summary>
    public nint Handle { get; }

    public IFuseReplySink Sink => _sink ?? throw new InvalidOperationException("This FuseRequest is default(FuseRequest); requests come from the session or from new FuseRequest(sink, handle).");

    /// <summary>Caller identity. Read it before replying: the context is freed with the request.</summary>
    public FuseRequestContext Context => Sink.GetContext(Handle);

    public uint Uid => Context.Uid;

    public uint Gid => Context.Gid;

    public int Pid => Context.Pid;

    /// <summary>Fails the request with a positive errno (0 answers success for flush/access-style requests).</summary>
    public int ReplyError(int errno) => Sink.ReplyError(Handle, errno);

    /// <summary>Answers a request that takes no reply (only forget-type requests, which the binding already answers).</summary>
    public void ReplyNone() => Sink.ReplyNone(Handle);

    public int ReplyEntry(in FuseEntry e) => Sink.ReplyEntry(Handle, in e);

    public int ReplyAttr(in FuseAttr attr, double timeoutSeconds) => Sink.ReplyAttr(Handle, in attr, timeoutSeconds);

    public int ReplyOpen(ulong fh, bool keepCache, bool cacheReaddir = false, bool directIo = false)
        => Sink.ReplyOpen(Handle, fh, keepCache, cacheReaddir, directIo);

    public int ReplyData(ReadOnlySpan<byte> data) => Sink.ReplyData(Handle, data);

    public int ReplyStatFs(in FuseStatFs s) => Sink.ReplyStatFs(Handle, in s);

    /// <summary>Answers a getxattr/listxattr probe (size 0) with the size the value needs.</summary>
    public int ReplyXattrSize(int size) => Sink.ReplyXattrSize(Handle, size);

    /// <summary>
    /// Answers readdir/readdirplus from a full, stably ordered listing: entry <c>i</c> lives at offset
    /// <c>i</c>, so the listing starts at index <paramref name="offset"/> and each entry carries
    /// <c>i + 1</c> as the offset of the next one. Fills at most <paramref name="size"/> bytes, in a buffer
    /// of the bytes it fills, and stops at the first entry that does not fit. For readdirplus, <paramref name="onReference"/> runs for
    /// every added entry that hands the kernel a lookup reference, before the reply is sent, so the
    /// file system can count it (and undo the counts if this method returns a negative value).
    /// </summary>
    /// <returns>The result of the reply: 0 or a negative errno.</returns>
    public int ReplyDirectory(IReadOnlyList<FuseDirectoryEntry> entries, long offset, int size, bool plus, Action<FuseDirectoryEntry>? onReference = null)
    {
        ArgumentNullException.ThrowIfNull(entries);

        // The buffer is the reply's size, not the kernel's (up to 1 MiB: see FuseDirectoryReply).
        var start = Math.Max(0, offset);
        var end = FuseDirectoryReply.Fitting(entries, start, size, plus, out var bytes);
        var reply = new FuseDirectoryReply(this, bytes, plus);
        for (var i = start; i < end; i++)
        {
            var e = entries[(int)i];
            bool added;
            if (plus)
            {
                var entry = e.Entry;
                if (entry.Attr.Ino == 0 && entry.Attr.Mode == 0)
                {
                    // The dirent's inode number and type come from the attributes; fall back to the listing's.
                    entry = entry with { Attr = entry.Attr with { Ino = e.Ino, Mode = e.Mode } };
                }

                added = reply.TryAddPlus(e.Name, in entry, i + 1);
                if (added && onReference is not null && FuseDirectoryReply.HandsOutReference(e.Name, in entry))
                {
                    onReference(e);
                }
            }
            else
            {
                added = reply.TryAdd(e.Name, e.Ino, e.Mode, i + 1);
            }

            if (!added)
            {
                break; // cannot happen while EntrySize is libfuse's size; were it smaller, the kernel would ask again from here
            }
        }

        return reply.Send();
    }

    public bool Equals(FuseRequest other) => Handle == other.Handle && ReferenceEquals(_sink, other._sink);

    public override bool Equals(object? obj) => obj is FuseRequest other && Equals(other);

    public override int GetHashCode() => Handle.GetHashCode();

    public static bool operator ==(FuseRequest left, FuseRequest right) => left.Equals(right);

    public static bool operator !=(FuseRequest left, FuseRequest right) => !left.Equals(right);
}
