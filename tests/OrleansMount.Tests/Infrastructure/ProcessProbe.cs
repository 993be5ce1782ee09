using System.Globalization;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>What /proc says about processes: resident memory, open descriptors, environment, children, and which process serves a mount.</summary>
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

    /// <summary>The environment a process started with, one NAME=VALUE per item.</summary>
    public static string[] EnvironmentOf(int pid) => File.ReadAllText($"/proc/{pid}/environ").Split('\0');

    /// <summary>The pids of the processes whose parent is <paramref name="parent"/>.</summary>
    public static List<int> ChildrenOf(int parent) =>
        Pids().Where(pid => Read(pid, "stat") is { } stat && ParentOf(stat) == parent).ToList();

    /// <summary>The pid of the `orleansmount mount … MNT` process (found by its command line).</summary>
    public static int MountProcessOf(string mnt)
    {
        foreach (var pid in Pids())
        {
            if (Read(pid, "cmdline")?.Split('\0') is { } args
                && args.Contains("mount") && args.Contains(mnt)
                && args.Any(a => a.EndsWith("orleansmount", StringComparison.Ordinal) || a.EndsWith("orleansmount.dll", StringComparison.Ordinal)))
            {
                return pid;
            }
        }

        throw new InvalidOperationException($"no mount process serves {mnt}");
    }

    private static IEnumerable<int> Pids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>/proc/PID/FILE, or null when the process is gone or not ours to read.</summary>
    private static string? Read(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The parent pid in /proc/PID/stat: "pid (comm) state ppid ...", where comm may hold spaces and parentheses.</summary>
    private static int ParentOf(string stat) =>
        int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
}
