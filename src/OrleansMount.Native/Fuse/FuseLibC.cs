using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>The libc calls the session needs besides libfuse.</summary>
internal static partial class FuseLibC
{
    public const int MntForce = 1;

    [LibraryImport("libc.so.6", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    /// <summary>statfs(2); <paramref name="buffer"/> must hold a struct statfs (120 bytes on x86_64/arm64).</summary>
    [LibraryImport("libc.so.6", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int StatFs(string path, Span<byte> buffer);
}
