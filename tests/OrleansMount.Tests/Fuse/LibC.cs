using System.Runtime.InteropServices;

namespace OrleansMount.Tests.Fuse;

/// <summary>The few libc calls the FUSE tests need (no attr package on CI images).</summary>
internal static class LibC
{
    // The test project does not allow unsafe code, which LibraryImport needs; plain DllImport is enough here.
#pragma warning disable SYSLIB1054
    [DllImport("libc.so.6", SetLastError = true, EntryPoint = "getxattr")]
    private static extern nint GetXattrNative(string path, string name, byte[]? value, nuint size);

    [DllImport("libc.so.6", SetLastError = true, EntryPoint = "statvfs")]
    private static extern int StatVfsNative(string path, byte[] buffer);

    [DllImport("libc.so.6", SetLastError = true, EntryPoint = "posix_fadvise")]
    private static extern int FadviseNative(int fd, long offset, long length, int advice);
#pragma warning restore SYSLIB1054

    /// <summary>posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED): drops the file's clean pages from the page cache, so the next read reaches the file system.</summary>
    public static void DropCachedPages(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        const int DontNeed = 4;
        var result = FadviseNative((int)file.DangerousGetHandle(), 0, 0, DontNeed);
        if (result != 0)
        {
            throw new IOException($"posix_fadvise failed: errno {result}", result);
        }
    }

    /// <summary>getxattr(2); returns the value or throws with errno.</summary>
    public static byte[] GetXattr(string path, string name)
    {
        var size = GetXattrNative(path, name, null, 0);
        if (size < 0)
        {
            throw new IOException($"getxattr size probe failed: errno {Marshal.GetLastPInvokeError()}", Marshal.GetLastPInvokeError());
        }

        var value = new byte[size];
        var read = GetXattrNative(path, name, value, (nuint)value.Length);
        if (read < 0)
        {
            throw new IOException($"getxattr failed: errno {Marshal.GetLastPInvokeError()}", Marshal.GetLastPInvokeError());
        }

        return value[..(int)read];
    }

    /// <summary>errno of a getxattr that is expected to fail.</summary>
    public static int GetXattrErrno(string path, string name)
    {
        var result = GetXattrNative(path, name, null, 0);
        return result < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>statvfs(3): (f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_namemax) on x86_64 glibc.</summary>
    public static (ulong BlockSize, ulong Blocks, ulong Free, ulong Available, ulong Files, ulong NameMax) StatVfs(string path)
    {
        var buffer = new byte[112];
        if (StatVfsNative(path, buffer) != 0)
        {
            throw new IOException($"statvfs failed: errno {Marshal.GetLastPInvokeError()}", Marshal.GetLastPInvokeError());
        }

        ulong At(int offset) => BitConverter.ToUInt64(buffer, offset);
        return (At(0), At(16), At(24), At(32), At(40), At(80));
    }
}
