using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>What the native callbacks reach through the session's GCHandle (the libfuse userdata).</summary>
internal sealed class FuseSessionState
{
    private readonly Action<Exception>? _onError;

    public FuseSessionState(IFuseFileSystem fileSystem, Action<Exception>? onError)
    {
        FileSystem = fileSystem;
        _onError = onError;
        Sink = new NativeReplySink(Report);
    }

    public IFuseFileSystem FileSystem { get; }

    public NativeReplySink Sink { get; }

    /// <summary>kernel max_background; set before the loop starts (applied in init).</summary>
    public uint MaxBackground { get; set; } = 64;

    public static FuseSessionState FromUserdata(nint userdata)
        => (FuseSessionState)(GCHandle.FromIntPtr(userdata).Target ?? throw new InvalidOperationException("FUSE session state was already released."));

    /// <summary>Reports an error to the hook; the hook itself must never take the process down.</summary>
    public void Report(Exception exception)
    {
        try
        {
            _onError?.Invoke(exception);
        }
#pragma warning disable CA1031 // The error hook runs under a native callback: nothing may escape.
        catch
#pragma warning restore CA1031
        {
        }
    }
}
