namespace OrleansMount.Core;

/// <summary>Defaults shared by the silo and the CLI, so a mount finds its local silo without options.</summary>
public static class NodeDefaults
{
    public const string ListenAddress = "127.0.0.1:7380";

    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    /// <summary><c>/run/orleansmount/silo.sock</c> as root, else under $XDG_RUNTIME_DIR or /tmp/orleansmount-USER.</summary>
    public static string SocketPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("ORLEANSMOUNT_SOCKET") is { Length: > 0 } configured)
            {
                return configured;
            }

            if (IsRoot)
            {
                return "/run/orleansmount/silo.sock";
            }

            var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return string.IsNullOrEmpty(runtime)
                ? $"/tmp/orleansmount-{Environment.UserName}/silo.sock"
                : Path.Combine(runtime, "orleansmount", "silo.sock");
        }
    }

    /// <summary><c>/var/cache/orleansmount</c> as root, else ~/.cache/orleansmount.</summary>
    public static string CacheDirectory =>
        IsRoot ? "/var/cache/orleansmount" : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "orleansmount");
}
