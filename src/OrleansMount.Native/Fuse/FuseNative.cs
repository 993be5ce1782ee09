using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// Raw libfuse 3.14 low-level entry points. Always the versioned soname: libfuse 3.17 and later
/// ship libfuse3.so.4 with different struct layouts, so a bare name could bind the wrong ABI.
/// </summary>
internal static unsafe partial class FuseNative
{
    public const string Library = "libfuse3.so.3";

    [LibraryImport(Library, EntryPoint = "fuse_session_new")]
    public static partial nint SessionNew(NativeArgs* args, NativeLowLevelOps* ops, nuint opSize, nint userdata);

    [LibraryImport(Library, EntryPoint = "fuse_session_mount")]
    public static partial int SessionMount(nint session, byte* mountpoint);

    [LibraryImport(Library, EntryPoint = "fuse_session_loop_mt_312")]
    public static partial int SessionLoopMt(nint session, nint config);

    [LibraryImport(Library, EntryPoint = "fuse_session_exit")]
    public static partial void SessionExit(nint session);

    [LibraryImport(Library, EntryPoint = "fuse_session_unmount")]
    public static partial void SessionUnmount(nint session);

    [LibraryImport(Library, EntryPoint = "fuse_session_destroy")]
    public static partial void SessionDestroy(nint session);

    [LibraryImport(Library, EntryPoint = "fuse_lowlevel_notify_inval_inode")]
    public static partial int NotifyInvalInode(nint session, ulong ino, long offset, long length);

    [LibraryImport(Library, EntryPoint = "fuse_opt_free_args")]
    public static partial void OptFreeArgs(NativeArgs* args);

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_create")]
    public static partial nint LoopConfigCreate();

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_destroy")]
    public static partial void LoopConfigDestroy(nint config);

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_set_max_threads")]
    public static partial void LoopConfigSetMaxThreads(nint config, uint value);

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_set_clone_fd")]
    public static partial void LoopConfigSetCloneFd(nint config, uint value);

    [LibraryImport(Library, EntryPoint = "fuse_req_userdata")]
    public static partial nint RequestUserdata(nint request);

    [LibraryImport(Library, EntryPoint = "fuse_req_ctx")]
    public static partial NativeContext* RequestContext(nint request);

    [LibraryImport(Library, EntryPoint = "fuse_reply_err")]
    public static partial int ReplyErr(nint request, int errno);

    [LibraryImport(Library, EntryPoint = "fuse_reply_none")]
    public static partial void ReplyNone(nint request);

    [LibraryImport(Library, EntryPoint = "fuse_reply_entry")]
    public static partial int ReplyEntry(nint request, NativeEntryParam* entry);

    [LibraryImport(Library, EntryPoint = "fuse_reply_attr")]
    public static partial int ReplyAttr(nint request, NativeStat* attr, double timeout);

    [LibraryImport(Library, EntryPoint = "fuse_reply_open")]
    public static partial int ReplyOpen(nint request, NativeFileInfo* fileInfo);

    [LibraryImport(Library, EntryPoint = "fuse_reply_buf")]
    public static partial int ReplyBuf(nint request, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "fuse_reply_statfs")]
    public static partial int ReplyStatFs(nint request, NativeStatVfs* statFs);

    [LibraryImport(Library, EntryPoint = "fuse_reply_xattr")]
    public static partial int ReplyXattr(nint request, nuint count);

    [LibraryImport(Library, EntryPoint = "fuse_add_direntry")]
    public static partial nuint AddDirEntry(nint request, byte* buffer, nuint bufferSize, byte* name, NativeStat* attr, long nextOffset);

    [LibraryImport(Library, EntryPoint = "fuse_add_direntry_plus")]
    public static partial nuint AddDirEntryPlus(nint request, byte* buffer, nuint bufferSize, byte* name, NativeEntryParam* entry, long nextOffset);
}
