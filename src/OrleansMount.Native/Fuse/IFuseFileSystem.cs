namespace OrleansMount.Native.Fuse;

/// <summary>
/// The read-only file-system operations the binding forwards, one call per kernel request, on a
/// libfuse worker thread. Every method except <see cref="Forget"/> must answer its
/// <see cref="FuseRequest"/> exactly once, either before returning or later from any thread (never
/// block the calling thread on the network: start the work, return, reply when it completes).
/// Write-type requests never reach this interface: the binding answers them with EROFS.
/// An exception thrown from a method is reported to the session's error hook and, if the request was
/// not answered yet, answered with EIO.
/// </summary>
public interface IFuseFileSystem
{
    /// <summary>Resolves <paramref name="name"/> in directory <paramref name="parent"/>; reply with an entry (one lookup reference) or an errno.</summary>
    void Lookup(FuseRequest req, ulong parent, string name);

    /// <summary>
    /// The kernel drops <paramref name="nlookup"/> lookup references to <paramref name="ino"/>
    /// (forget and forget_multi both land here). No reply; do no I/O and do not block.
    /// </summary>
    void Forget(ulong ino, ulong nlookup);

    void GetAttr(FuseRequest req, ulong ino);

    /// <summary>Reply with <see cref="FuseRequest.ReplyOpen"/> (the fh comes back in ReadDir/ReleaseDir) or an errno.</summary>
    void OpenDir(FuseRequest req, ulong ino, FuseOpenFlags flags);

    /// <summary>
    /// readdir and readdirplus (<paramref name="plus"/>) both land here. Reply with
    /// <see cref="FuseRequest.ReplyDirectory"/> or a <see cref="FuseDirectoryReply"/>; for plus count a
    /// lookup reference for every entry that hands one out.
    /// </summary>
    void ReadDir(FuseRequest req, ulong ino, ulong fh, long offset, int size, bool plus);

    /// <summary>Reply <c>ReplyError(0)</c>.</summary>
    void ReleaseDir(FuseRequest req, ulong ino, ulong fh);

    /// <summary>
    /// Only read-only opens arrive here (the binding answers write opens with EROFS).
    /// <paramref name="flags"/> are the raw open(2) flags (see <see cref="FuseOpenFlags"/>).
    /// </summary>
    void Open(FuseRequest req, ulong ino, int flags);

    /// <summary>Reply with at most <paramref name="size"/> bytes; fewer means end of file.</summary>
    void Read(FuseRequest req, ulong ino, ulong fh, long offset, int size);

    /// <summary>Reply <c>ReplyError(0)</c>.</summary>
    void Release(FuseRequest req, ulong ino, ulong fh);

    void StatFs(FuseRequest req, ulong ino);

    /// <summary>
    /// <paramref name="size"/> 0 asks for the value's size (<see cref="FuseRequest.ReplyXattrSize"/>);
    /// otherwise reply the value with <see cref="FuseRequest.ReplyData"/>, ERANGE if it does not fit,
    /// ENODATA if there is no such attribute.
    /// </summary>
    void GetXattr(FuseRequest req, ulong ino, string name, int size);

    /// <summary>Like <see cref="GetXattr"/> for the NUL-separated list of names.</summary>
    void ListXattr(FuseRequest req, ulong ino, int size);

    /// <summary>access(2) check; reply <c>ReplyError(0)</c> or an errno. Not sent with default_permissions.</summary>
    void Access(FuseRequest req, ulong ino, int mask);
}
