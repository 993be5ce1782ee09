using System.Runtime.InteropServices;
using System.Text;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// One mounted libfuse low-level session: <see cref="Create"/> mounts, <see cref="Run"/> serves requests
/// until <see cref="Exit"/> (or an external unmount), <see cref="Dispose"/> unmounts and frees.
/// </summary>
public sealed unsafe class FuseSession : IDisposable
{
    private static readonly TimeSpan LoopExitTimeout = TimeSpan.FromSeconds(30);

    private readonly FuseSessionState _state;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _loopExited = new(initialState: true);
    private readonly List<PosixSignalRegistration> _signals = [];
    private GCHandle _handle;
    private nint _session;
    private bool _mounted;
    private bool _running;
    private bool _disposed;

    private FuseSession(FuseSessionState state, GCHandle handle, nint session, string mountpoint)
    {
        _state = state;
        _handle = handle;
        _session = session;
        _mounted = true;
        Mountpoint = mountpoint;
    }

    /// <summary>The absolute mount point.</summary>
    public string Mountpoint { get; }

    /// <summary>
    /// Kernel <c>max_background</c> (concurrent background requests such as readahead), applied when the
    /// kernel's INIT arrives, i.e. set it before <see cref="Run"/>. Default 64 (kernel default 12).
    /// </summary>
    public int MaxBackground
    {
        get => (int)_state.MaxBackground;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _state.MaxBackground = (uint)value;
        }
    }

    /// <summary>Requests handed to the file system and not answered yet.</summary>
    public int OutstandingRequests => _state.Sink.Outstanding;

    /// <summary>
    /// Creates a session and mounts it (fuse_session_new + fuse_session_mount). <paramref name="options"/>
    /// are libfuse command-line arguments, e.g. <c>"-o", "ro,default_permissions,allow_other,fsname=orleansmount,subtype=orleansmount"</c>.
    /// <paramref name="onError"/> receives every exception caught at the native boundary.
    /// </summary>
    public static FuseSession Create(IFuseFileSystem fs, string mountpoint, IEnumerable<string> options, Action<Exception>? onError)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrEmpty(mountpoint);
        ArgumentNullException.ThrowIfNull(options);
        var full = Path.GetFullPath(mountpoint);
        if (full.Length > 1)
        {
            full = full.TrimEnd('/');
        }

        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Mount point '{full}' does not exist (or is a stale FUSE mount): create the directory, or run 'fusermount3 -u -z {full}'.");
        }

        if (FuseMounts.IsMounted(full))
        {
            throw new IOException($"'{full}' is already a mount point (a stale mount from a crashed process?): run FuseMounts.LazyUnmount or 'fusermount3 -u -z {full}' first.");
        }

        var state = new FuseSessionState(fs, onError);
        var handle = GCHandle.Alloc(state);
        try
        {
            var session = NewSession(options, handle);
            if (!MountSession(session, full))
            {
                FuseNative.SessionDestroy(session);
                throw new IOException($"fuse_session_mount failed for '{full}' (libfuse printed the reason on stderr): check that /dev/fuse exists, that you are root or fusermount3 is installed, and that allow_other is permitted by /etc/fuse.conf.");
            }

            return new FuseSession(state, handle, session, full);
        }
        catch
        {
            handle.Free();
            throw;
        }
    }

    /// <summary>
    /// Serves requests on up to <paramref name="maxThreads"/> libfuse worker threads
    /// (fuse_session_loop_mt_312, clone_fd off) and blocks until the session ends.
    /// Returns libfuse's result: 0 after <see cref="Exit"/> or an unmount.
    /// </summary>
    public int Run(int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        nint session;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running)
            {
                throw new InvalidOperationException("The session loop is already running.");
            }

            if (!_mounted)
            {
                throw new InvalidOperationException("The session was unmounted; create a new session to serve again.");
            }

            _running = true;
            _loopExited.Reset();
            session = _session;
        }

        var config = FuseNative.LoopConfigCreate();
        try
        {
            if (config == 0)
            {
                throw new OutOfMemoryException("fuse_loop_cfg_create returned NULL.");
            }

            FuseNative.LoopConfigSetMaxThreads(config, (uint)maxThreads);
            FuseNative.LoopConfigSetCloneFd(config, 0);
            return FuseNative.SessionLoopMt(session, config);
        }
        finally
        {
            if (config != 0)
            {
                FuseNative.LoopConfigDestroy(config);
            }

            lock (_gate)
            {
                _running = false;
            }

            _loopExited.Set();
        }
    }

    /// <summary>
    /// Asks the loop to stop: fuse_session_exit, then (as root) abort the kernel connection with
    /// umount2(MNT_FORCE), then a lazy unmount (fusermount3 -u -z). Ending the connection wakes the worker
    /// threads blocked reading /dev/fuse so <see cref="Run"/> returns; requests still in flight and files
    /// still open on the mount fail with ENOTCONN. Safe from any thread, including a signal handler;
    /// idempotent. Without root the connection only ends once the last open file is closed.
    /// </summary>
    public void Exit()
    {
        lock (_gate)
        {
            if (_session == 0)
            {
                return;
            }

            FuseNative.SessionExit(_session);
            if (!_mounted)
            {
                return;
            }
        }

        if (!FuseMounts.IsMounted(Mountpoint))
        {
            return;
        }

        // A lazy unmount alone keeps the connection alive while any file on the mount is open, and once
        // the loop has stopped serving, every process touching such a file hangs in the kernel for good
        // (found by a test that deadlocked its own testhost). As root, abort the connection first: those
        // callers get ENOTCONN and the workers blocked on /dev/fuse wake up. Without root this is a no-op.
        _ = FuseMounts.AbortConnection(Mountpoint);
        if (FuseMounts.IsMounted(Mountpoint) && !FuseMounts.LazyUnmount(Mountpoint))
        {
            _state.Report(new IOException($"fusermount3 -u -z '{Mountpoint}' failed; the loop may keep running until the mount is detached."));
        }
    }

    /// <summary>
    /// Tells the kernel to drop what it caches of inode <paramref name="ino"/>: its attributes and its pages, for a
    /// directory its cached listing (fuse_lowlevel_notify_inval_inode, offset 0, length 0: all). A readdir reading that
    /// listing goes on from its position with upcalls. Returns 0 or a negative errno (-ENOENT: the kernel holds no
    /// such inode; -ENOTCONN: not mounted). Call it outside any request handler: the kernel may wait for a request on
    /// the same inode to finish.
    /// </summary>
    public int InvalidateInode(ulong ino)
    {
        lock (_gate)
        {
            return _session == 0 || !_mounted ? -FuseErrno.ENOTCONN : FuseNative.NotifyInvalInode(_session, ino, 0, 0);
        }
    }

    /// <summary>Stops the loop if it runs, then fuse_session_unmount. Idempotent.</summary>
    public void Unmount()
    {
        if (!StopLoop())
        {
            return;
        }

        lock (_gate)
        {
            if (_mounted && _session != 0)
            {
                FuseNative.SessionUnmount(_session);
                _mounted = false;
            }
        }
    }

    /// <summary>Routes SIGINT and SIGTERM to <see cref="Exit"/> (the process keeps running so the loop can return). Idempotent.</summary>
    public void InstallSignalHandlers()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_signals.Count > 0)
            {
                return;
            }

            foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            {
                _signals.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    Exit();
                }));
            }
        }
    }

    /// <summary>Exit, wait for the loop, unmount, then fuse_session_destroy. Idempotent; never throws.</summary>
    public void Dispose()
    {
        List<PosixSignalRegistration> signals;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            signals = [.. _signals];
            _signals.Clear();
        }

        foreach (var registration in signals)
        {
            registration.Dispose();
        }

        try
        {
            Unmount();
        }
#pragma warning disable CA1031 // Dispose must not throw; the failure goes to the error hook.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _state.Report(ex);
        }

        lock (_gate)
        {
            if (_running)
            {
                // Destroying the session under live worker threads would crash the process: leak instead.
                return;
            }

            _state.Sink.Close();
            if (_session != 0)
            {
                FuseNative.SessionDestroy(_session);
                _session = 0;
            }
        }

        // After fuse_session_destroy no callback can reach the state any more.
        _handle.Free();
        _loopExited.Dispose();
    }

    /// <summary>Exits and waits for the loop; false if it did not return in time.</summary>
    private bool StopLoop()
    {
        bool running;
        lock (_gate)
        {
            running = _running;
        }

        if (!running)
        {
            return true;
        }

        Exit();
        if (_loopExited.Wait(LoopExitTimeout))
        {
            return true;
        }

        _state.Report(new TimeoutException($"The FUSE loop for '{Mountpoint}' did not return within {LoopExitTimeout.TotalSeconds:0} s after exit (files still open on the mount?); the session is left mounted."));
        return false;
    }

    private static nint NewSession(IEnumerable<string> options, GCHandle handle)
    {
        var argv = new List<string> { "orleansmount" };
        argv.AddRange(options);
        var strings = new nint[argv.Count];
        var vector = (nint*)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(nint));
        try
        {
            for (var i = 0; i < argv.Count; i++)
            {
                strings[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
                vector[i] = strings[i];
            }

            var args = new NativeArgs { Argc = argv.Count, Argv = (nint)vector, Allocated = 0 };
            var ops = FuseCallbacks.CreateOps();
            var session = FuseNative.SessionNew(&args, &ops, NativeLowLevelOps.Size, GCHandle.ToIntPtr(handle));

            // libfuse may have replaced the vector with its own copy (allocated = 1); this frees only that.
            FuseNative.OptFreeArgs(&args);
            if (session == 0)
            {
                throw new ArgumentException($"fuse_session_new rejected the options [{string.Join(' ', argv.Skip(1))}] (libfuse printed the reason on stderr).", nameof(options));
            }

            return session;
        }
        finally
        {
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }

            NativeMemory.Free(vector);
        }
    }

    private static bool MountSession(nint session, string mountpoint)
    {
        var bytes = Encoding.UTF8.GetBytes(mountpoint + "\0");
        fixed (byte* p = bytes)
        {
            return FuseNative.SessionMount(session, p) == 0;
        }
    }
}
