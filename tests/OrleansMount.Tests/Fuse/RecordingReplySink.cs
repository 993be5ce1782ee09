using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>An in-memory <see cref="IFuseReplySink"/>: what file-system logic tests use instead of a kernel.</summary>
internal sealed class RecordingReplySink : IFuseReplySink
{
    public List<(nint Request, string Kind, object? Value)> Replies { get; } = [];

    public int ReplyError(nint request, int errno) => Record(request, "error", errno);

    public void ReplyNone(nint request) => Record(request, "none", null);

    public int ReplyEntry(nint request, in FuseEntry entry) => Record(request, "entry", entry);

    public int ReplyAttr(nint request, in FuseAttr attr, double timeoutSeconds) => Record(request, "attr", attr);

    public int ReplyOpen(nint request, ulong fh, bool keepCache, bool cacheReaddir, bool directIo) => Record(request, "open", fh);

    public int ReplyData(nint request, ReadOnlySpan<byte> data) => Record(request, "data", data.ToArray());

    public int ReplyStatFs(nint request, in FuseStatFs statFs) => Record(request, "statfs", statFs);

    public int ReplyXattrSize(nint request, int size) => Record(request, "xattr-size", size);

    public FuseRequestContext GetContext(nint request) => new(1000, 1000, 42, 0x12);

    private int Record(nint request, string kind, object? value)
    {
        lock (Replies)
        {
            Replies.Add((request, kind, value));
        }

        return 0;
    }
}
