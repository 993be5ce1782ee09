using System.Collections.Concurrent;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// Replies over libfuse for one session. It tracks which requests are still unanswered so that a
/// second reply (a bug, or an exception thrown after a reply) is refused instead of touching a freed
/// <c>fuse_req</c>, and so that replies arriving after the session is torn down are dropped.
/// </summary>
internal sealed unsafe class NativeReplySink : IFuseReplySink
{
    private readonly ConcurrentDictionary<nint, byte> _outstanding = new();
    private readonly Action<Exception> _report;
    private int _closed;
    private int _inFlight;

    public NativeReplySink(Action<Exception> report) => _report = report;

    public int Outstanding => _outstanding.Count;

    /// <summary>Registers a request that just arrived from the kernel.</summary>
    public void Begin(nint request) => _outstanding[request] = 0;

    /// <summary>Claims the right to answer a request; false if it was already answered.</summary>
    public bool TryClaim(nint request) => _outstanding.TryRemove(request, out _);

    /// <summary>Stops all further replies and waits for replies already inside libfuse to finish.</summary>
    public void Close()
    {
        Interlocked.Exchange(ref _closed, 1);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _inFlight) != 0)
        {
            spin.SpinOnce();
        }

        _outstanding.Clear();
    }

    /// <summary>
    /// Used when a handler threw: answers <paramref name="errno"/> only if nobody answered yet, without
    /// reporting a double reply (the handler may legitimately have replied before throwing).
    /// </summary>
    public void FailIfUnanswered(nint request, int errno)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            if (Volatile.Read(ref _closed) == 0 && TryClaim(request))
            {
                _ = FuseNative.ReplyErr(request, errno);
            }
        }
        finally
        {
            Exit();
        }
    }

    public int ReplyError(nint request, int errno)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(errno);
        return Reply(request, static (r, e) => FuseNative.ReplyErr(r, e), errno);
    }

    public void ReplyNone(nint request) => Reply(request, static (r, _) =>
    {
        FuseNative.ReplyNone(r);
        return 0;
    }, 0);

    public int ReplyEntry(nint request, in FuseEntry entry)
    {
        var native = FuseConvert.ToNative(entry);
        return Reply(request, static (r, p) => FuseNative.ReplyEntry(r, (NativeEntryParam*)p), (nint)(&native));
    }

    public int ReplyAttr(nint request, in FuseAttr attr, double timeoutSeconds)
    {
        if (!Enter(request, out var result))
        {
            return result;
        }

        try
        {
            var native = FuseConvert.ToNative(attr);
            return FuseNative.ReplyAttr(request, &native, timeoutSeconds);
        }
        finally
        {
            Exit();
        }
    }

    public int ReplyOpen(nint request, ulong fh, bool keepCache, bool cacheReaddir, bool directIo)
    {
        var fi = new NativeFileInfo { Fh = fh };
        if (keepCache)
        {
            fi.Bits |= NativeFileInfo.KeepCacheBit;
        }

        if (cacheReaddir)
        {
            fi.Bits |= NativeFileInfo.CacheReaddirBit;
        }

        if (directIo)
        {
            fi.Bits |= NativeFileInfo.DirectIoBit;
        }

        return Reply(request, static (r, p) => FuseNative.ReplyOpen(r, (NativeFileInfo*)p), (nint)(&fi));
    }

    public int ReplyData(nint request, ReadOnlySpan<byte> data)
    {
        if (!Enter(request, out var result))
        {
            return result;
        }

        try
        {
            fixed (byte* p = data)
            {
                return FuseNative.ReplyBuf(request, p, (nuint)data.Length);
            }
        }
        finally
        {
            Exit();
        }
    }

    public int ReplyStatFs(nint request, in FuseStatFs statFs)
    {
        var native = FuseConvert.ToNative(statFs);
        return Reply(request, static (r, p) => FuseNative.ReplyStatFs(r, (NativeStatVfs*)p), (nint)(&native));
    }

    public int ReplyXattrSize(nint request, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return Reply(request, static (r, s) => FuseNative.ReplyXattr(r, (nuint)s), size);
    }

    public FuseRequestContext GetContext(nint request)
    {
        // fuse_req_ctx reads the request itself: only valid while the request is unanswered.
        if (Volatile.Read(ref _closed) != 0 || !_outstanding.ContainsKey(request))
        {
            throw new InvalidOperationException("The request context is only readable before the request is answered.");
        }

        var ctx = FuseNative.RequestContext(request);
        return new FuseRequestContext(ctx->Uid, ctx->Gid, ctx->Pid, ctx->Umask);
    }

    private int Reply<T>(nint request, Func<nint, T, int> send, T arg)
    {
        if (!Enter(request, out var result))
        {
            return result;
        }

        try
        {
            return send(request, arg);
        }
        finally
        {
            Exit();
        }
    }

    private bool Enter(nint request, out int result)
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _closed) != 0)
        {
            Interlocked.Decrement(ref _inFlight);
            result = -FuseErrno.ENOTCONN;
            return false;
        }

        // Claim before the native call: libfuse frees the request inside the reply, and the same
        // address may then be handed to a new request on another thread.
        if (!TryClaim(request))
        {
            Interlocked.Decrement(ref _inFlight);
            _report(new InvalidOperationException($"FUSE request 0x{request:x} was answered twice (or was never issued by this session); the second reply was dropped."));
            result = -FuseErrno.EALREADY;
            return false;
        }

        result = 0;
        return true;
    }

    private void Exit() => Interlocked.Decrement(ref _inFlight);
}
