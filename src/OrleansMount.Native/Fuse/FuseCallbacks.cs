using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// The <c>fuse_lowlevel_ops</c> entry points. Each one finds the session through
/// <c>fuse_req_userdata</c>, registers the request, dispatches to <see cref="IFuseFileSystem"/> and
/// catches everything: an exception crossing an UnmanagedCallersOnly boundary kills the process.
/// Write-type operations are answered EROFS here and never reach the file system.
/// </summary>
#pragma warning disable CA1031 // Catching everything is the point: nothing may cross into native code.
internal static unsafe class FuseCallbacks
{
    private const int AccessModeMask = 0x3;

    public static NativeLowLevelOps CreateOps() => new()
    {
        Init = (nint)(delegate* unmanaged[Cdecl]<nint, NativeConnInfo*, void>)&Init,
        Lookup = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&Lookup,
        Forget = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, ulong, void>)&Forget,
        Getattr = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, NativeFileInfo*, void>)&GetAttr,
        Setattr = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, NativeStat*, int, NativeFileInfo*, void>)&SetAttr,
        Mknod = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, uint, ulong, void>)&Mknod,
        Mkdir = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, uint, void>)&Mkdir,
        Unlink = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&RemoveName,
        Rmdir = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&RemoveName,
        Symlink = (nint)(delegate* unmanaged[Cdecl]<nint, byte*, ulong, byte*, void>)&Symlink,
        Rename = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, ulong, byte*, uint, void>)&Rename,
        Link = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, ulong, byte*, void>)&Link,
        Open = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, NativeFileInfo*, void>)&Open,
        Read = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, long, NativeFileInfo*, void>)&Read,
        Write = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, nuint, long, NativeFileInfo*, void>)&Write,
        Release = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, NativeFileInfo*, void>)&Release,
        Fsync = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, int, NativeFileInfo*, void>)&Fsync,
        Opendir = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, NativeFileInfo*, void>)&OpenDir,
        Readdir = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, long, NativeFileInfo*, void>)&ReadDir,
        Releasedir = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, NativeFileInfo*, void>)&ReleaseDir,
        Fsyncdir = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, int, NativeFileInfo*, void>)&Fsync,
        Statfs = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, void>)&StatFs,
        Setxattr = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, byte*, nuint, int, void>)&SetXattr,
        Getxattr = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, nuint, void>)&GetXattr,
        Listxattr = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, void>)&ListXattr,
        Removexattr = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, void>)&RemoveXattr,
        Access = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, int, void>)&Access,
        Create = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, byte*, uint, NativeFileInfo*, void>)&Create,
        ForgetMulti = (nint)(delegate* unmanaged[Cdecl]<nint, nuint, NativeForgetData*, void>)&ForgetMulti,
        Fallocate = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, int, long, long, NativeFileInfo*, void>)&Fallocate,
        Readdirplus = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, nuint, long, NativeFileInfo*, void>)&ReadDirPlus,
        CopyFileRange = (nint)(delegate* unmanaged[Cdecl]<nint, ulong, long, NativeFileInfo*, ulong, long, NativeFileInfo*, nuint, int, void>)&CopyFileRange,

        // Left NULL on purpose: destroy (nothing to do), readlink (no symlinks yet → ENOSYS), getlk/setlk/
        // flock (the kernel then handles locks locally), bmap, ioctl, poll, write_buf (write answers),
        // retrieve_reply and lseek (the kernel's generic lseek is fine for regular files).
    };

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Init(nint userdata, NativeConnInfo* conn)
    {
        try
        {
            var state = FuseSessionState.FromUserdata(userdata);

            // libfuse already turns most of these on by default when the kernel offers them; asking
            // explicitly documents what the cache depends on. ASYNC_READ lets the kernel keep several
            // reads (readahead) of one file in flight, which async replies exploit.
            const uint wanted = NativeConnInfo.CapAsyncRead | NativeConnInfo.CapReaddirPlus
                | NativeConnInfo.CapReaddirPlusAuto | NativeConnInfo.CapParallelDirOps;
            conn->Want |= wanted & conn->Capable;

            // The kernel takes min(its readahead window, ours), so max_readahead can only shrink here:
            // leave the kernel's value. max_background bounds concurrent async requests (readahead),
            // whose kernel default (12) throttles a cache that answers asynchronously.
            if (state.MaxBackground > 0)
            {
                conn->MaxBackground = state.MaxBackground;
                conn->CongestionThreshold = state.MaxBackground * 3 / 4;
            }
        }
        catch (Exception ex)
        {
            TryReportUserdata(userdata, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Lookup(nint req, ulong parent, byte* name)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.Lookup(new FuseRequest(state.Sink, req), parent, Utf8(name));
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Forget(nint req, ulong ino, ulong nlookup)
    {
        try
        {
            FuseSessionState.FromUserdata(FuseNative.RequestUserdata(req)).FileSystem.Forget(ino, nlookup);
        }
        catch (Exception ex)
        {
            TryReport(req, ex);
        }
        finally
        {
            FuseNative.ReplyNone(req);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void ForgetMulti(nint req, nuint count, NativeForgetData* forgets)
    {
        try
        {
            var fs = FuseSessionState.FromUserdata(FuseNative.RequestUserdata(req)).FileSystem;
            for (nuint i = 0; i < count; i++)
            {
                try
                {
                    fs.Forget(forgets[i].Ino, forgets[i].NLookup);
                }
                catch (Exception ex)
                {
                    // One bad inode must not stop the others from being forgotten.
                    TryReport(req, ex);
                }
            }
        }
        catch (Exception ex)
        {
            TryReport(req, ex);
        }
        finally
        {
            FuseNative.ReplyNone(req);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void GetAttr(nint req, ulong ino, NativeFileInfo* fi)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.GetAttr(new FuseRequest(state.Sink, req), ino);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OpenDir(nint req, ulong ino, NativeFileInfo* fi)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.OpenDir(new FuseRequest(state.Sink, req), ino, (FuseOpenFlags)fi->Flags);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void ReadDir(nint req, ulong ino, nuint size, long offset, NativeFileInfo* fi)
        => DispatchReadDir(req, ino, size, offset, fi, plus: false);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void ReadDirPlus(nint req, ulong ino, nuint size, long offset, NativeFileInfo* fi)
        => DispatchReadDir(req, ino, size, offset, fi, plus: true);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void ReleaseDir(nint req, ulong ino, NativeFileInfo* fi)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.ReleaseDir(new FuseRequest(state.Sink, req), ino, fi->Fh);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Open(nint req, ulong ino, NativeFileInfo* fi)
    {
        FuseSessionState? state = null;
        try
        {
            // A read-only file system: opening for write fails here, whatever the mount options say.
            if ((fi->Flags & AccessModeMask) != 0)
            {
                _ = FuseNative.ReplyErr(req, FuseErrno.EROFS);
                return;
            }

            state = Enter(req);
            state.FileSystem.Open(new FuseRequest(state.Sink, req), ino, fi->Flags);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Read(nint req, ulong ino, nuint size, long offset, NativeFileInfo* fi)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.Read(new FuseRequest(state.Sink, req), ino, fi->Fh, offset, ClampSize(size));
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Release(nint req, ulong ino, NativeFileInfo* fi)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.Release(new FuseRequest(state.Sink, req), ino, fi->Fh);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void StatFs(nint req, ulong ino)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.StatFs(new FuseRequest(state.Sink, req), ino);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void GetXattr(nint req, ulong ino, byte* name, nuint size)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.GetXattr(new FuseRequest(state.Sink, req), ino, Utf8(name), ClampSize(size));
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void ListXattr(nint req, ulong ino, nuint size)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.ListXattr(new FuseRequest(state.Sink, req), ino, ClampSize(size));
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Access(nint req, ulong ino, int mask)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.Access(new FuseRequest(state.Sink, req), ino, mask);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    // No flush: left NULL, libfuse answers the first close(2)'s FLUSH with ENOSYS, which the kernel takes as success
    // and as "never send FLUSH again" on this connection (fuse_flush sets no_flush), so a read-only file's close costs
    // no upcall. fsync/fsyncdir have nothing to persist on a read-only file system, so they succeed (as on a read-only
    // ext4).
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Fsync(nint req, ulong ino, int dataSync, NativeFileInfo* fi) => Answer(req, 0);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void SetAttr(nint req, ulong ino, NativeStat* attr, int toSet, NativeFileInfo* fi) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Mknod(nint req, ulong parent, byte* name, uint mode, ulong rdev) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Mkdir(nint req, ulong parent, byte* name, uint mode) => Answer(req, FuseErrno.EROFS);

    /// <summary>unlink and rmdir.</summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void RemoveName(nint req, ulong parent, byte* name) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Symlink(nint req, byte* link, ulong parent, byte* name) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Rename(nint req, ulong parent, byte* name, ulong newParent, byte* newName, uint flags) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Link(nint req, ulong ino, ulong newParent, byte* newName) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Write(nint req, ulong ino, byte* buffer, nuint size, long offset, NativeFileInfo* fi) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Create(nint req, ulong parent, byte* name, uint mode, NativeFileInfo* fi) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void SetXattr(nint req, ulong ino, byte* name, byte* value, nuint size, int flags) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void RemoveXattr(nint req, ulong ino, byte* name) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Fallocate(nint req, ulong ino, int mode, long offset, long length, NativeFileInfo* fi) => Answer(req, FuseErrno.EROFS);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void CopyFileRange(nint req, ulong inoIn, long offIn, NativeFileInfo* fiIn, ulong inoOut, long offOut, NativeFileInfo* fiOut, nuint length, int flags)
        => Answer(req, FuseErrno.EROFS);

    private static void DispatchReadDir(nint req, ulong ino, nuint size, long offset, NativeFileInfo* fi, bool plus)
    {
        FuseSessionState? state = null;
        try
        {
            state = Enter(req);
            state.FileSystem.ReadDir(new FuseRequest(state.Sink, req), ino, fi->Fh, offset, ClampSize(size), plus);
        }
        catch (Exception ex)
        {
            Fail(state, req, ex);
        }
    }

    /// <summary>Looks up the session and registers the request as unanswered.</summary>
    private static FuseSessionState Enter(nint req)
    {
        var state = FuseSessionState.FromUserdata(FuseNative.RequestUserdata(req));
        state.Sink.Begin(req);
        return state;
    }

    private static void Fail(FuseSessionState? state, nint req, Exception ex)
    {
        try
        {
            if (state is null)
            {
                // The session itself could not be reached, so the request was never registered.
                _ = FuseNative.ReplyErr(req, FuseErrno.EIO);
                return;
            }

            state.Report(ex);
            state.Sink.FailIfUnanswered(req, FuseErrno.EIO);
        }
        catch
        {
        }
    }

    /// <summary>Answers a request the binding handles itself (no file-system call).</summary>
    private static void Answer(nint req, int errno)
    {
        try
        {
            _ = FuseNative.ReplyErr(req, errno);
        }
        catch
        {
        }
    }

    private static void TryReport(nint req, Exception ex)
    {
        try
        {
            TryReportUserdata(FuseNative.RequestUserdata(req), ex);
        }
        catch
        {
        }
    }

    private static void TryReportUserdata(nint userdata, Exception ex)
    {
        try
        {
            FuseSessionState.FromUserdata(userdata).Report(ex);
        }
        catch
        {
        }
    }

    private static string Utf8(byte* s) => Marshal.PtrToStringUTF8((nint)s) ?? string.Empty;

    private static int ClampSize(nuint size) => size > int.MaxValue ? int.MaxValue : (int)size;
}
#pragma warning restore CA1031
