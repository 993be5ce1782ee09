using System.Net;
using OrleansMount.Core;
using OrleansMount.Core.Security;
using OrleansMount.Silo.Cluster;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Silo;

/// <summary>A silo's settings, validated before anything starts (<see cref="From"/>).</summary>
public sealed record SiloOptions
{
    public required string CacheDirectory { get; init; }

    public required long CacheSizeBytes { get; init; }

    public required string Catalog { get; init; }

    public string? Listen { get; init; }

    public required string SocketPath { get; init; }

    public required int ChunkSize { get; init; }

    public string LogLevel { get; init; } = "Information";

    public string? SiloId { get; init; }

    /// <summary>Log events as one JSON object a line (<c>--log-format json</c>) instead of text lines.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Redis HOST:PORT holding the membership table; null runs single-node.</summary>
    public string? Redis { get; init; }

    /// <summary>The password Redis requires (<c>--redis-password-file</c> or the environment); null: none.</summary>
    public RedisPassword? RedisPassword { get; init; }

    /// <summary>The cluster certificate for mutual TLS between silos (<c>--tls-certificate</c>); null: plaintext.</summary>
    public ClusterCertificate? TlsCertificate { get; init; }

    /// <summary>The cluster name: silos sharing a Redis and a name form one cluster.</summary>
    public string Cluster { get; init; } = "default";

    /// <summary>Where peers reach this silo (http://HOST:PORT); null when there is no TCP listener.</summary>
    public Uri? Advertise { get; init; }

    /// <summary>The Orleans silo-to-silo endpoint: the advertised address and the port it listens on.</summary>
    public required IPEndPoint SiloEndpoint { get; init; }

    /// <summary>The Orleans silo-to-silo port when none is given with <c>--redis</c> (Orleans' own default).</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>How long an owner silo may take to start answering a peer call before it counts as not answering.</summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Chunk fills all prefetch jobs together may have in flight on this silo (as an owner).</summary>
    public int PrefetchSlots { get; init; } = 8;

    /// <summary>Memory for readahead of all the node's mounts: chunks in flight at most this ÷ chunk size.</summary>
    public long ReadaheadMemoryBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The cluster secret every caller must sign with (<c>--secret-file</c> or the environment); null: no authentication.</summary>
    public ClusterSecret? Secret { get; init; }

    /// <summary>Retries, per-attempt timeout and deadline of every object-store and catalog request.</summary>
    public ObjectStoreRetryPolicy ObjectStoreRetry { get; init; } = new();

    /// <summary>Serve Orleans' own dashboard (Microsoft.Orleans.Dashboard) at <c>/orleans</c> beside the product's.</summary>
    public bool OrleansDashboard { get; init; }

    /// <summary>
    /// Checks and converts the command line's settings; the first bad one is refused with an
    /// <see cref="OrleansMountException"/> (exit code 2) whose message names the option and says what it should be.
    /// Creates the cache directory.
    /// </summary>
    public static SiloOptions From(SiloSettings raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (!ByteSize.TryParse(raw.CacheSize, out var cacheBytes) || cacheBytes <= 0)
        {
            throw new OrleansMountException($"--cache-size '{raw.CacheSize}' is not a size (e.g. 20GiB, 500MiB)", 2);
        }

        if (!ByteSize.TryParse(raw.ChunkSize, out var chunkBytes) || chunkBytes < 64 * 1024 || chunkBytes > 64 * 1024 * 1024 || (chunkBytes & (chunkBytes - 1)) != 0)
        {
            throw new OrleansMountException($"--chunk-size '{raw.ChunkSize}' must be a power of two from 64KiB to 64MiB", 2);
        }

        if (cacheBytes < chunkBytes)
        {
            throw new OrleansMountException($"--cache-size {raw.CacheSize} is smaller than one chunk ({raw.ChunkSize})", 2);
        }

        if (string.IsNullOrEmpty(raw.Catalog))
        {
            throw new OrleansMountException("--catalog is required (or set ORLEANSMOUNT_CATALOG): the catalog URI that imports wrote to, e.g. s3://bucket/.orleansmount/", 2);
        }

        try
        {
            StoreUri.Parse(raw.Catalog);
        }
        catch (OrleansMountException e)
        {
            throw new OrleansMountException($"--catalog: {e.Message}", 2);
        }

        string? listenAddress = raw.Listen;
        if (raw.Listen == "none")
        {
            listenAddress = null;
        }
        else if (!IPEndPoint.TryParse(raw.Listen.Replace("localhost", "127.0.0.1", StringComparison.Ordinal), out var endpoint) || endpoint.Port == 0)
        {
            throw new OrleansMountException($"--listen '{raw.Listen}' is not HOST:PORT (e.g. 127.0.0.1:7380) or 'none'", 2);
        }

        if (string.IsNullOrWhiteSpace(raw.Socket) || !Path.IsPathRooted(raw.Socket))
        {
            throw new OrleansMountException($"--socket '{raw.Socket}' must be an absolute path", 2);
        }

        if (!Enum.TryParse<Serilog.Events.LogEventLevel>(raw.LogLevel, ignoreCase: true, out _))
        {
            throw new OrleansMountException($"--log-level '{raw.LogLevel}' is not one of Verbose, Debug, Information, Warning, Error", 2);
        }

        if (raw.LogFormat is not ("text" or "json"))
        {
            throw new OrleansMountException($"--log-format '{raw.LogFormat}' is not text or json", 2);
        }

        if (raw.Redis is not null)
        {
            if (!TryParseHostPort(raw.Redis))
            {
                throw new OrleansMountException($"--redis '{raw.Redis}' is not HOST:PORT (e.g. 10.0.0.5:6379)", 2);
            }

            if (listenAddress is null)
            {
                throw new OrleansMountException("--listen must not be 'none' with --redis: peers fetch chunks from this silo over its TCP listener", 2);
            }
        }

        if (raw.RedisPasswordFile is not null && raw.Redis is null)
        {
            throw new OrleansMountException("--redis-password-file is only used with --redis: without --redis the silo runs alone", 2);
        }

        if (raw.TlsCertificate is not null && raw.Redis is null)
        {
            throw new OrleansMountException("--tls-certificate secures the connections between silos and needs --redis: without --redis the silo runs alone", 2);
        }

        var redisPassword = raw.Redis is null ? null : RedisPassword.Load(raw.RedisPasswordFile, raw.RedisPassword);
        var tlsCertificate = raw.TlsCertificate is null ? null : LoadCertificate(raw.TlsCertificate, raw.TlsCertificatePassword);

        if (string.IsNullOrWhiteSpace(raw.Cluster) || raw.Cluster.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ':'))
        {
            throw new OrleansMountException($"--cluster '{raw.Cluster}' must be a non-empty name without spaces or ':'", 2);
        }

        Uri? advertiseUri = null;
        if (raw.Advertise is not null)
        {
            if (!Uri.TryCreate(raw.Advertise, UriKind.Absolute, out advertiseUri) || advertiseUri.Scheme != Uri.UriSchemeHttp || advertiseUri.IsDefaultPort || advertiseUri.AbsolutePath != "/")
            {
                throw new OrleansMountException($"--advertise '{raw.Advertise}' is not http://HOST:PORT", 2);
            }
        }
        else if (listenAddress is not null)
        {
            advertiseUri = new Uri($"http://{listenAddress}/");
        }

        if (raw.SiloPort is { } siloPort && siloPort is < 1 or > 65535)
        {
            throw new OrleansMountException($"--silo-port {siloPort} must be from 1 to 65535", 2);
        }

        var http = listenAddress is null ? null : IPEndPoint.Parse(listenAddress.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        var siloEndpoint = raw.Redis is null
            ? new IPEndPoint(IPAddress.Loopback, raw.SiloPort ?? FreeLoopbackPort(except: http?.Port))
            : new IPEndPoint(ResolveAdvertised(advertiseUri!), raw.SiloPort ?? DefaultSiloPort);
        if (http is not null && http.Port == siloEndpoint.Port && (http.Address.Equals(siloEndpoint.Address) || http.Address.Equals(IPAddress.Any)))
        {
            throw new OrleansMountException($"--silo-port {siloEndpoint.Port} is also the --listen port; give each its own", 2);
        }

        if (!Duration.TryParse(raw.PeerTimeout, out var peerTimeoutSpan) || peerTimeoutSpan < TimeSpan.FromMilliseconds(100))
        {
            throw new OrleansMountException($"--peer-timeout '{raw.PeerTimeout}' is not a duration of at least 100ms (e.g. 10s, 500ms)", 2);
        }

        if (raw.PrefetchSlots is < 1 or > 1024)
        {
            throw new OrleansMountException($"--prefetch-slots {raw.PrefetchSlots} must be from 1 to 1024", 2);
        }

        if (!ByteSize.TryParse(raw.ReadaheadMemory, out var readaheadBytes) || readaheadBytes < 0)
        {
            throw new OrleansMountException($"--readahead-memory '{raw.ReadaheadMemory}' is not a size (e.g. 64MiB; 0 for one chunk at a time)", 2);
        }

        if (raw.ObjectStoreAttempts is < 1 or > 100)
        {
            throw new OrleansMountException($"--object-store-attempts {raw.ObjectStoreAttempts} must be from 1 to 100", 2);
        }

        if (!Duration.TryParse(raw.ObjectStoreTimeout, out var storeTimeoutSpan) || storeTimeoutSpan < TimeSpan.FromMilliseconds(100))
        {
            throw new OrleansMountException($"--object-store-timeout '{raw.ObjectStoreTimeout}' is not a duration of at least 100ms (e.g. 30s)", 2);
        }

        if (!Duration.TryParse(raw.ObjectStoreDeadline, out var storeDeadlineSpan) || storeDeadlineSpan < storeTimeoutSpan)
        {
            throw new OrleansMountException($"--object-store-deadline '{raw.ObjectStoreDeadline}' is not a duration of at least --object-store-timeout (e.g. 60s)", 2);
        }

        try
        {
            Directory.CreateDirectory(raw.CacheDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OrleansMountException($"--cache-dir '{raw.CacheDir}' cannot be created: {e.Message}", 2);
        }

        return new SiloOptions
        {
            CacheDirectory = Path.GetFullPath(raw.CacheDir),
            CacheSizeBytes = cacheBytes,
            Catalog = raw.Catalog,
            Listen = listenAddress,
            SocketPath = raw.Socket,
            ChunkSize = (int)chunkBytes,
            LogLevel = raw.LogLevel,
            JsonLogs = raw.LogFormat == "json",
            SiloId = raw.SiloId,
            Redis = raw.Redis,
            RedisPassword = redisPassword,
            TlsCertificate = tlsCertificate,
            Cluster = raw.Cluster,
            Advertise = advertiseUri,
            SiloEndpoint = siloEndpoint,
            PeerTimeout = peerTimeoutSpan,
            PrefetchSlots = raw.PrefetchSlots,
            ReadaheadMemoryBytes = readaheadBytes,
            Secret = LoadSecret(raw.SecretFile),
            ObjectStoreRetry = new ObjectStoreRetryPolicy { MaxAttempts = raw.ObjectStoreAttempts, AttemptTimeout = storeTimeoutSpan, Deadline = storeDeadlineSpan },
            OrleansDashboard = raw.OrleansDashboard,
        };
    }


    /// <summary>
    /// A loopback port nothing listens on now (single-node silos need their Orleans port on no other machine), other
    /// than <paramref name="except"/>: the --listen port is not bound yet, so the kernel may well offer it.
    /// </summary>
    private static int FreeLoopbackPort(int? except)
    {
        while (true)
        {
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            if (port != except)
            {
                return port;
            }
        }
    }

    /// <summary>The IP address peers reach this silo's Orleans endpoint at: the <c>--advertise</c> host, resolved if it is a name.</summary>
    private static IPAddress ResolveAdvertised(Uri advertise)
    {
        if (IPAddress.TryParse(advertise.Host, out var address))
        {
            return address;
        }

        try
        {
            return System.Net.Dns.GetHostAddresses(advertise.Host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new OrleansMountException($"--advertise host '{advertise.Host}' has no IPv4 address", 2);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new OrleansMountException($"--advertise host '{advertise.Host}' cannot be resolved: {e.Message}", 2);
        }
    }

    private static ClusterCertificate LoadCertificate(string path, string? password)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new OrleansMountException("--tls-certificate needs the path of the cluster certificate file (PKCS#12, or PEM with its private key)", 2);
        }

        try
        {
            return ClusterCertificate.Load(path, password, DateTimeOffset.UtcNow);
        }
        catch (OrleansMountException e)
        {
            throw new OrleansMountException($"--tls-certificate: {e.Message}", 2);
        }
    }

    private static ClusterSecret? LoadSecret(string? secretFile)
    {
        try
        {
            return ClusterSecret.Load(secretFile);
        }
        catch (OrleansMountException e) when (secretFile is not null)
        {
            throw new OrleansMountException($"--secret-file: {e.Message}", 2);
        }
    }

    private static bool TryParseHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && colon < value.Length - 1
            && int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            && port is > 0 and < 65536
            && !value.AsSpan(0, colon).ContainsAny(" \t/");
    }
}
