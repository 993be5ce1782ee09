using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansMount.Native.Fuse;

/// <summary>Mount-table helpers: find a (possibly stale) mount and detach it.</summary>
public static class FuseMounts
{
    private const string MountInfoPath = "/proc/self/mountinfo";
    private static readonly TimeSpan FusermountTimeout = TimeSpan.FromSeconds(30);

    /// <summary>True when something is mounted exactly at <paramref name="path"/> (per /proc/self/mountinfo).</summary>
    public static bool IsMounted(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var target = Normalize(path);
        foreach (var line in File.ReadLines(MountInfoPath))
        {
            // Fields: id parent major:minor root mountpoint options ... ; mountpoint is the 5th.
            var fields = line.Split(' ');
            if (fields.Length > 4 && string.Equals(Unescape(fields[4]), target, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="path"/> is a mount whose FUSE server is gone (a mount process killed
    /// or crashed): the kernel answers ENOTCONN, "Transport endpoint is not connected".
    /// </summary>
    public static bool IsStale(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // statfs always reaches the FUSE server (no kernel cache answers it), unlike access or stat.
        Span<byte> buffer = stackalloc byte[256];
        return FuseLibC.StatFs(Normalize(path), buffer) != 0 && Marshal.GetLastPInvokeError() == FuseErrno.ENOTCONN;
    }

    /// <summary>
    /// Aborts the FUSE connection behind the mount at <paramref name="path"/> with <c>umount2(MNT_FORCE)</c>
    /// (the kernel's fuse_umount_begin aborts the connection even when the unmount itself fails as busy):
    /// processes waiting on the mount get ENOTCONN instead of hanging. Needs CAP_SYS_ADMIN (root);
    /// returns false without it. Follow with <see cref="LazyUnmount"/> to detach a busy mount.
    /// </summary>
    public static bool AbortConnection(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (FuseLibC.Umount2(Normalize(path), FuseLibC.MntForce) == 0)
        {
            return true;
        }

        // EBUSY: files are open, but the connection was aborted all the same.
        return Marshal.GetLastPInvokeError() == FuseErrno.EBUSY;
    }

    /// <summary>
    /// Detaches the mount at <paramref name="path"/> with <c>fusermount3 -u -z</c> (works for stale
    /// mounts whose server died: "Transport endpoint is not connected"). Returns true when fusermount3
    /// succeeded. The connection ends once the last open file on it is closed.
    /// </summary>
    public static bool LazyUnmount(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var psi = new ProcessStartInfo("fusermount3")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-u");
        psi.ArgumentList.Add("-z");
        psi.ArgumentList.Add(Normalize(path));
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start fusermount3 (install the fuse3 package).");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(FusermountTimeout))
        {
            process.Kill();
            return false;
        }

        _ = stderr.Wait(FusermountTimeout);
        _ = stdout.Wait(FusermountTimeout);
        return process.ExitCode == 0;
    }

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash (all ASCII) as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(string s, int start)
    {
        if (start + 3 > s.Length)
        {
            return false;
        }

        for (var i = start; i < start + 3; i++)
        {
            if (s[i] is < '0' or > '7')
            {
                return false;
            }
        }

        return true;
    }
}
