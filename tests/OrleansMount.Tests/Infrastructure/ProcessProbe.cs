using System.Globalization;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>What /proc says about a process: resident memory, open descriptors, and which process serves a mount.</summary>
public static class ProcessProbe
{
    /// <summary>VmRSS of a process in bytes.</summary>
    public static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line");
    }

    /// <summary>The number of open file descriptors of a process.</summary>
    public static int OpenDescriptors(int pid) => Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();

    /// <summary>The pid of the `orleansmount mount … MNT` process (found by its command line).</summary>
    public static int MountProcessOf(string mnt)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string[] args;
            try
            {
                args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (args.Contains("mount") && args.Contains(mnt) && args.Any(a => a.EndsWith("orleansmount", StringComparison.Ordinal) || a.EndsWith("orleansmount.dll", StringComparison.Ordinal)))
            {
                return pid;
            }
        }

        throw new InvalidOperationException($"no mount process serves {mnt}");
    }
}
