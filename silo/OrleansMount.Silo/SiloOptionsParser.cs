using System.Net;
using OrleansMount.Core;
using OrleansMount.Core.Security;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Silo;

/// <summary>Turns command-line text into <see cref="SiloOptions"/>; every error names the option.</summary>
public static class SiloOptionsParser
{
    public static SiloOptions Validate(string cacheDir, string cacheSize, string? catalog, string listen, string socket, string chunkSize, string logLevel, string? siloId, string? redis = null, string cluster = "default", string? advertise = null, string peerTimeout = "10s", int prefetchSlots = 8, string readaheadMemory = "64MiB", string? secretFile = null, string logFormat = "text", int storeAttempts = 5, string storeTimeout = "30s", string storeDeadline = "60s")
    {
        if (!ByteSize.TryParse(cacheSize, out var cacheBytes) || cacheBytes <= 0)
        {
            throw new OrleansMountException($"--cache-size '{cacheSize}' is not a size (e.g. 20GiB, 500MiB)", 2);
        }

        if (!ByteSize.TryParse(chunkSize, out var chunkBytes) || chunkBytes < 64 * 1024 || chunkBytes > 64 * 1024 * 1024 || (chunkBytes & (chunkBytes - 1)) != 0)
        {
            throw new OrleansMountException($"--chunk-size '{chunkSize}' must be a power of two from 64KiB to 64MiB", 2);
        }

        if (cacheBytes < chunkBytes)
        {
            throw new OrleansMountException($"--cache-size {cacheSize} is smaller than one chunk ({chunkSize})", 2);
        }

        if (string.IsNullOrEmpty(catalog))
        {
            throw new OrleansMountException("--catalog is required (or set ORLEANSMOUNT_CATALOG): the catalog URI that imports wrote to, e.g. s3://bucket/.orleansmount/", 2);
        }

        try
        {
            StoreUri.Parse(catalog);
        }
        catch (OrleansMountException e)
        {
            throw new OrleansMountException($"--catalog: {e.Message}", 2);
        }

        string? listenAddress = listen;
        if (listen == "none")
        {
            listenAddress = null;
        }
        else if (!IPEndPoint.TryParse(listen.Replace("localhost", "127.0.0.1", StringComparison.Ordinal), out var endpoint) || endpoint.Port == 0)
        {
            throw new OrleansMountException($"--listen '{listen}' is not HOST:PORT (e.g. 127.0.0.1:7380) or 'none'", 2);
        }

        if (string.IsNullOrWhiteSpace(socket) || !Path.IsPathRooted(socket))
        {
            throw new OrleansMountException($"--socket '{socket}' must be an absolute path", 2);
        }

        if (!Enum.TryParse<Serilog.Events.LogEventLevel>(logLevel, ignoreCase: true, out _))
        {
            throw new OrleansMountException($"--log-level '{logLevel}' is not one of Verbose, Debug, Information, Warning, Error", 2);
        }

        if (logFormat is not ("text" or "json"))
        {
            throw new OrleansMountException($"--log-format '{logFormat}' is not text or json", 2);
        }

        if (redis is not null)
        {
            if (!TryParseHostPort(redis))
            {
                throw new OrleansMountException($"--redis '{redis}' is not HOST:PORT (e.g. 10.0.0.5:6379)", 2);
            }

            if (listenAddress is null)
            {
                throw new OrleansMountException("--listen must not be 'none' with --redis: peers fetch chunks from this silo over its TCP listener", 2);
            }
        }

        if (string.IsNullOrWhiteSpace(cluster) || cluster.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ':'))
        {
            throw new OrleansMountException($"--cluster '{cluster}' must be a non-empty name without spaces or ':'", 2);
        }

        Uri? advertiseUri = null;
        if (advertise is not null)
        {
            if (!Uri.TryCreate(advertise, UriKind.Absolute, out advertiseUri) || advertiseUri.Scheme != Uri.UriSchemeHttp || advertiseUri.IsDefaultPort || advertiseUri.AbsolutePath != "/")
            {
                throw new OrleansMountException($"--advertise '{advertise}' is not http://HOST:PORT", 2);
            }
        }
        else if (listenAddress is not null)
        {
            advertiseUri = new Uri($"http://{listenAddress}/");
        }

        if (!Duration.TryParse(peerTimeout, out var peerTimeoutSpan) || peerTimeoutSpan < TimeSpan.FromMilliseconds(100))
        {
            throw new OrleansMountException($"--peer-timeout '{peerTimeout}' is not a duration of at least 100ms (e.g. 10s, 500ms)", 2);
        }

        if (prefetchSlots is < 1 or > 1024)
        {
            throw new OrleansMountException($"--prefetch-slots {prefetchSlots} must be from 1 to 1024", 2);
        }

        if (!ByteSize.TryParse(readaheadMemory, out var readaheadBytes) || readaheadBytes < 0)
        {
            throw new OrleansMountException($"--readahead-memory '{readaheadMemory}' is not a size (e.g. 64MiB; 0 for one chunk at a time)", 2);
        }

        if (storeAttempts is < 1 or > 100)
        {
            throw new OrleansMountException($"--object-store-attempts {storeAttempts} must be from 1 to 100", 2);
        }

        if (!Duration.TryParse(storeTimeout, out var storeTimeoutSpan) || storeTimeoutSpan < TimeSpan.FromMilliseconds(100))
        {
            throw new OrleansMountException($"--object-store-timeout '{storeTimeout}' is not a duration of at least 100ms (e.g. 30s)", 2);
        }

        if (!Duration.TryParse(storeDeadline, out var storeDeadlineSpan) || storeDeadlineSpan < storeTimeoutSpan)
        {
            throw new OrleansMountException($"--object-store-deadline '{storeDeadline}' is not a duration of at least --object-store-timeout (e.g. 60s)", 2);
        }

        try
        {
            Directory.CreateDirectory(cacheDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OrleansMountException($"--cache-dir '{cacheDir}' cannot be created: {e.Message}", 2);
        }

        return new SiloOptions
        {
            CacheDirectory = Path.GetFullPath(cacheDir),
            CacheSizeBytes = cacheBytes,
            Catalog = catalog,
            Listen = listenAddress,
            SocketPath = socket,
            ChunkSize = (int)chunkBytes,
            LogLevel = logLevel,
            JsonLogs = logFormat == "json",
            SiloId = siloId,
            Redis = redis,
            Cluster = cluster,
            Advertise = advertiseUri,
            PeerTimeout = peerTimeoutSpan,
            PrefetchSlots = prefetchSlots,
            ReadaheadMemoryBytes = readaheadBytes,
            Secret = LoadSecret(secretFile),
            ObjectStoreRetry = new ObjectStoreRetryPolicy { MaxAttempts = storeAttempts, AttemptTimeout = storeTimeoutSpan, Deadline = storeDeadlineSpan },
        };
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
