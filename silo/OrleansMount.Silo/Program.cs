using System.CommandLine;
using OrleansMount.Core;
using OrleansMount.Silo;

// Before the host starts its threads: two malloc arenas instead of glibc's 8 per core (RocksDB's native memory
// freed on one thread-pool thread is otherwise kept in that thread's arena; docs/benchmarks.md, the walk's notes).
// MALLOC_ARENA_MAX in the environment still decides when set.
OrleansMount.Native.Memory.MallocArenas.Limit(2);

var cacheDir = new Option<string>("--cache-dir") { Description = "Directory for cached chunks and metadata.", DefaultValueFactory = _ => NodeDefaults.CacheDirectory, HelpName = "DIR" };
var cacheSize = new Option<string>("--cache-size") { Description = "Disk budget for cached chunks, e.g. 20GiB or 500MiB.", DefaultValueFactory = _ => "10GiB", HelpName = "SIZE" };
var catalog = new Option<string?>("--catalog") { Description = "Catalog URI holding the snapshots (e.g. s3://bucket/.orleansmount/). Default: $ORLEANSMOUNT_CATALOG.", HelpName = "URI" };
var listen = new Option<string>("--listen") { Description = "HOST:PORT for the HTTP API, peers and dashboard. Loopback unless told otherwise; 'none' to disable.", DefaultValueFactory = _ => NodeDefaults.ListenAddress };
var socket = new Option<string>("--socket") { Description = "Unix socket for local mounts.", DefaultValueFactory = _ => NodeDefaults.SocketPath, HelpName = "PATH" };
var chunkSize = new Option<string>("--chunk-size") { Description = "Chunk size (power of two from 64KiB to 64MiB).", DefaultValueFactory = _ => "4MiB", HelpName = "SIZE" };
var logLevel = new Option<string>("--log-level") { Description = "Verbose, Debug, Information, Warning or Error.", DefaultValueFactory = _ => "Information" };
var logFormat = new Option<string>("--log-format") { Description = "text (one line an event: time, level, silo id, component, message) or json (one JSON object an event, properties SiloId and SourceContext included).", DefaultValueFactory = _ => "text" };
var siloId = new Option<string?>("--silo-id") { Description = "This silo's id in the cluster. Default: HOSTNAME-RANDOM." };
var redis = new Option<string?>("--redis") { Description = "Redis HOST:PORT holding the cluster's membership. Without it the silo runs alone.", HelpName = "HOST:PORT" };
var redisPasswordFile = new Option<string?>("--redis-password-file") { Description = "File whose first line is the password Redis requires (its requirepass), or set ORLEANSMOUNT_REDIS_PASSWORD. Never pass the password itself on the command line.", HelpName = "PATH" };
var tlsCertificate = new Option<string?>("--tls-certificate") { Description = "The cluster certificate with its private key (PKCS#12 .pfx/.p12, or PEM holding both; a password in ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD): Orleans silo-to-silo connections then use mutual TLS and accept only peers presenting this same certificate. Give every silo the same file. Needs --redis.", HelpName = "PATH" };
var cluster = new Option<string>("--cluster") { Description = "Cluster name: silos sharing a Redis and a name form one cluster.", DefaultValueFactory = _ => "default", HelpName = "NAME" };
var advertise = new Option<string?>("--advertise") { Description = "Where peers reach this silo. Default: http:// + the --listen address.", HelpName = "http://HOST:PORT" };
var siloPort = new Option<int?>("--silo-port") { Description = "TCP port of the Orleans silo-to-silo endpoint (on the --advertise host). Default: 11111 with --redis; a free loopback port without.", HelpName = "PORT" };
var peerTimeout = new Option<string>("--peer-timeout") { Description = "How long an owner silo may take to start answering before its keys are read from the object store instead.", DefaultValueFactory = _ => "10s", HelpName = "DURATION" };
var prefetchSlots = new Option<int>("--prefetch-slots") { Description = "Chunk fills all prefetch jobs together may have in flight on this silo.", DefaultValueFactory = _ => 8, HelpName = "N" };
var readaheadMemory = new Option<string>("--readahead-memory") { Description = "Memory for readahead of all this node's mounts (chunks in flight = this / chunk size).", DefaultValueFactory = _ => "64MiB", HelpName = "SIZE" };
var secretFile = new Option<string?>("--secret-file") { Description = "File holding the cluster secret that peers and mounts must sign their requests with (or set ORLEANSMOUNT_CLUSTER_SECRET_FILE or ORLEANSMOUNT_CLUSTER_SECRET). Never pass the secret itself on the command line.", HelpName = "PATH" };
var storeAttempts = new Option<int>("--object-store-attempts") { Description = "Attempts of one object-store request (the first and its retries) when it fails with 5xx, SlowDown, a reset or a stall; delays between them grow exponentially with jitter.", DefaultValueFactory = _ => 5, HelpName = "N" };
var storeTimeout = new Option<string>("--object-store-timeout") { Description = "The longest one object-store attempt may take, response body included; a stalled response is retried after it.", DefaultValueFactory = _ => "30s", HelpName = "DURATION" };
var storeDeadline = new Option<string>("--object-store-deadline") { Description = "No object-store attempt starts later than this after the first; the read then fails (EIO in the mount).", DefaultValueFactory = _ => "60s", HelpName = "DURATION" };
var orleansDashboard = new Option<bool>("--orleans-dashboard") { Description = "Also serve Orleans' own dashboard (hosts, activations, calls and exceptions per grain type) at /orleans, where the product's dashboard is served and under the same rules: readable without the cluster secret. Costs about 75 MiB of memory; off by default." };
var root = new RootCommand("orleansmount-silo: the per-node OrleansMount daemon. Serves snapshot metadata and cached chunks to local mounts (Unix socket) and peers (HTTP).")
{
    cacheDir, cacheSize, catalog, listen, socket, chunkSize, logLevel, logFormat, siloId, redis, redisPasswordFile, tlsCertificate, cluster, advertise, siloPort, peerTimeout, prefetchSlots, readaheadMemory, secretFile, storeAttempts, storeTimeout, storeDeadline, orleansDashboard,
};
root.SetAction(async (parse, cancellationToken) =>
{
    SiloOptions options;
    try
    {
        options = SiloOptions.From(new SiloSettings
        {
            CacheDir = parse.GetValue(cacheDir)!,
            CacheSize = parse.GetValue(cacheSize)!,
            Catalog = parse.GetValue(catalog) ?? Environment.GetEnvironmentVariable("ORLEANSMOUNT_CATALOG"),
            Listen = parse.GetValue(listen)!,
            Socket = parse.GetValue(socket)!,
            ChunkSize = parse.GetValue(chunkSize)!,
            LogLevel = parse.GetValue(logLevel)!,
            LogFormat = parse.GetValue(logFormat)!,
            SiloId = parse.GetValue(siloId),
            Redis = parse.GetValue(redis),
            RedisPasswordFile = parse.GetValue(redisPasswordFile),
            RedisPassword = Environment.GetEnvironmentVariable(OrleansMount.Silo.Cluster.RedisPassword.Variable),
            TlsCertificate = parse.GetValue(tlsCertificate),
            TlsCertificatePassword = Environment.GetEnvironmentVariable(OrleansMount.Core.Security.ClusterCertificate.PasswordVariable),
            Cluster = parse.GetValue(cluster)!,
            Advertise = parse.GetValue(advertise),
            SiloPort = parse.GetValue(siloPort),
            PeerTimeout = parse.GetValue(peerTimeout)!,
            PrefetchSlots = parse.GetValue(prefetchSlots),
            ReadaheadMemory = parse.GetValue(readaheadMemory)!,
            SecretFile = parse.GetValue(secretFile),
            ObjectStoreAttempts = parse.GetValue(storeAttempts),
            ObjectStoreTimeout = parse.GetValue(storeTimeout)!,
            ObjectStoreDeadline = parse.GetValue(storeDeadline)!,
            OrleansDashboard = parse.GetValue(orleansDashboard),
        });
    }
    catch (OrleansMountException e)
    {
        await Console.Error.WriteLineAsync($"orleansmount-silo: {e.Message}").ConfigureAwait(false);
        return 2;
    }

    return await SiloHost.RunAsync(options, cancellationToken).ConfigureAwait(false);
});
// System.CommandLine ends the process 2 s after SIGTERM or Ctrl+C by default (exit 143/130): shorter than a graceful
// stop, which first hands the silo's grains over (ClusterHandover, up to ~6 s) and then leaves the Orleans cluster.
// The host bounds its own stop (HostOptions.ShutdownTimeout, 30 s); this only catches a stop that hangs past it.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(35) }).ConfigureAwait(false);
