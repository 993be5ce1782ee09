using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>An in-memory <see cref="IFuseReplySink"/>: what file-system logic tests use instead of a kernel.</summary>
internal sealed class RecordingReplySink : IFuseReplySink
{
    private readonly Dictionary<nint, TaskCompletionSource<(string Kind, object? Value)>> _waiting = [];
    private long _next = 1 << 20;

    public List<(nint Request, string Kind, object? Value)> Replies { get; } = [];

    /// <summary>Makes one request and waits (at most 10 s) for its reply, which may come asynchronously.</summary>
    public async Task<(string Kind, object? Value)> CallAsync(Action<FuseRequest> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var handle = (nint)Interlocked.Increment(ref _next);
        var reply = new TaskCompletionSource<(string Kind, object? Value)>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Replies)
        {
            _waiting[handle] = reply;
        }

        call(new FuseRequest(this, handle));
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public int ReplyError(nint request, int errno) => Record(request, "error", errno);

    public void ReplyNone(nint request) => Record(request, "none", null);

    public int ReplyEntry(nint request, in FuseEntry entry) => Record(request, "entry", entry);

    public int ReplyAttr(nint request, in FuseAttr attr, double timeoutSeconds) => Record(request, "attr", attr);

    /// <summary>Every open reply's cache flags, by handle (the reply's value is the handle alone).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<ulong, (bool KeepCache, bool CacheReaddir)> Opens { get; } = [];

    public int ReplyOpen(nint request, ulong fh, bool keepCache, bool cacheReaddir, bool directIo)
    {
        Opens[fh] = (keepCache, cacheReaddir);
        return Record(request, "open", fh);
    }

    public int ReplyData(nint request, ReadOnlySpan<byte> data) => Record(request, "data", data.ToArray());

    public int ReplyStatFs(nint request, in FuseStatFs statFs) => Record(request, "statfs", statFs);

    public int ReplyXattrSize(nint request, int size) => Record(request, "xattr-size", size);

    public FuseRequestContext GetContext(nint request) => new(1000, 1000, 42, 0x12);

    private int Record(nint request, string kind, object? value)
    {
        lock (Replies)
        {
            Replies.Add((request, kind, value));
            if (_waiting.Remove(request, out var waiting))
            {
                waiting.SetResult((kind, value));
            }
        }

        return 0;
    }
}
