using OrleansMount.Core;

namespace OrleansMount.Silo;

/// <summary>
/// The silo's settings as given on the command line (text, unchecked), each property named after its option;
/// the defaults are the options' defaults. <see cref="SiloOptions.From"/> checks and converts them.
/// </summary>
public sealed class SiloSettings
{
    /// <summary><c>--cache-dir</c>.</summary>
    public string CacheDir { get; set; } = NodeDefaults.CacheDirectory;

    /// <summary><c>--cache-size</c>.</summary>
    public string CacheSize { get; set; } = "10GiB";

    /// <summary><c>--catalog</c>, else <c>$ORLEANSMOUNT_CATALOG</c>.</summary>
    public string? Catalog { get; set; }

    /// <summary><c>--listen</c>: HOST:PORT or <c>none</c>.</summary>
    public string Listen { get; set; } = NodeDefaults.ListenAddress;

    /// <summary><c>--socket</c>.</summary>
    public string Socket { get; set; } = NodeDefaults.SocketPath;

    /// <summary><c>--chunk-size</c>.</summary>
    public string ChunkSize { get; set; } = "4MiB";

    /// <summary><c>--log-level</c>.</summary>
    public string LogLevel { get; set; } = "Information";

    /// <summary><c>--log-format</c>: text or json.</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary><c>--silo-id</c>; null: HOSTNAME-RANDOM.</summary>
    public string? SiloId { get; set; }

    /// <summary><c>--redis</c>.</summary>
    public string? Redis { get; set; }

    /// <summary><c>--redis-password-file</c>.</summary>
    public string? RedisPasswordFile { get; set; }

    /// <summary><c>$ORLEANSMOUNT_REDIS_PASSWORD</c> (used when no <c>--redis-password-file</c> is given).</summary>
    public string? RedisPassword { get; set; }

    /// <summary><c>--tls-certificate</c>.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary><c>$ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD</c>: the password of the <c>--tls-certificate</c> file, if it has one.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary><c>--cluster</c>.</summary>
    public string Cluster { get; set; } = "default";

    /// <summary><c>--advertise</c>.</summary>
    public string? Advertise { get; set; }

    /// <summary><c>--silo-port</c>: the Orleans silo-to-silo port; null: 11111 with <c>--redis</c>, else a free loopback port.</summary>
    public int? SiloPort { get; set; }

    /// <summary><c>--peer-timeout</c>.</summary>
    public string PeerTimeout { get; set; } = "10s";

    /// <summary><c>--prefetch-slots</c>.</summary>
    public int PrefetchSlots { get; set; } = 8;

    /// <summary><c>--readahead-memory</c>.</summary>
    public string ReadaheadMemory { get; set; } = "64MiB";

    /// <summary><c>--secret-file</c>.</summary>
    public string? SecretFile { get; set; }

    /// <summary><c>--object-store-attempts</c>.</summary>
    public int ObjectStoreAttempts { get; set; } = 5;

    /// <summary><c>--object-store-timeout</c>.</summary>
    public string ObjectStoreTimeout { get; set; } = "30s";

    /// <summary><c>--object-store-deadline</c>.</summary>
    public string ObjectStoreDeadline { get; set; } = "60s";

    /// <summary><c>--orleans-dashboard</c>.</summary>
    public bool OrleansDashboard { get; set; }
}
