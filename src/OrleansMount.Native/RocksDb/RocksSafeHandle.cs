using System.Runtime.InteropServices;

namespace OrleansMount.Native.RocksDb;

/// <summary>
/// Base of every handle that owns a RocksDB C object. A handle can keep other handles alive
/// (<see cref="KeepAlive"/>): an iterator keeps its database and read options alive, so that
/// disposing the database while an iterator is open closes the database only after the
/// iterator is destroyed, whatever order finalizers run in.
/// </summary>
internal abstract class RocksSafeHandle : SafeHandle
{
    private List<SafeHandle>? _dependencies;

    protected RocksSafeHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Keeps <paramref name="dependency"/> open until this handle is released.</summary>
    public void KeepAlive(SafeHandle dependency)
    {
        var added = false;
        dependency.DangerousAddRef(ref added);
        (_dependencies ??= []).Add(dependency);
    }

    protected abstract void Destroy(IntPtr native);

    protected sealed override bool ReleaseHandle()
    {
        Destroy(handle);
        if (_dependencies is { } dependencies)
        {
            foreach (var dependency in dependencies)
            {
                dependency.DangerousRelease();
            }
        }

        return true;
    }
}
