namespace OrleansMount.Native.Fuse;

/// <summary>
/// Where the replies of a <see cref="FuseRequest"/> go. The kernel session implements it over libfuse;
/// tests of file-system logic implement it in memory and build requests with
/// <see cref="FuseRequest(IFuseReplySink, nint)"/>, so no kernel is needed. Every method answers the
/// request identified by <c>request</c> exactly once and returns 0 or a negative errno.
/// </summary>
public interface IFuseReplySink
{
    int ReplyError(nint request, int errno);

    void ReplyNone(nint request);

    int ReplyEntry(nint request, in FuseEntry entry);

    int ReplyAttr(nint request, in FuseAttr attr, double timeoutSeconds);

    int ReplyOpen(nint request, ulong fh, bool keepCache, bool cacheReaddir, bool directIo);

    /// <summary>Sends bytes: file data, an xattr value/list, or a directory buffer from <see cref="FuseDirectoryReply"/>.</summary>
    int ReplyData(nint request, ReadOnlySpan<byte> data);

    int ReplyStatFs(nint request, in FuseStatFs statFs);

    int ReplyXattrSize(nint request, int size);

    FuseRequestContext GetContext(nint request);
}
