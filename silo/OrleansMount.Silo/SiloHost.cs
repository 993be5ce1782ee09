using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Dashboard;
using OrleansMount.Core;
using OrleansMount.Grains.Cluster;
using OrleansMount.Silo.Cluster;
using OrleansMount.Silo.Monitoring;
using Serilog;
using StackExchange.Redis;

namespace OrleansMount.Silo;

/// <summary>Builds and runs the silo's web host: Kestrel on the Unix socket (local mounts) and on TCP (peers, dashboard).</summary>
public static class SiloHost
{
    /// <summary>How often the dashboard's throughput series is sampled.</summary>
    private static readonly TimeSpan ThroughputInterval = TimeSpan.FromSeconds(2);

    /// <summary>Where <c>--orleans-dashboard</c> serves Orleans' dashboard.</summary>
    public const string OrleansDashboardPath = "/orleans";

    /// <summary>A cluster certificate expiring within this is warned about at start.</summary>
    private static readonly TimeSpan CertificateExpiryWarning = TimeSpan.FromDays(30);

    public static async Task<int> RunAsync(SiloOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The id is settled before the first log line, so every event carries it (SiloId property).
        options = options with { SiloId = options.SiloId ?? SiloNode.NewSiloId() };
        var errors = new RecentErrorLog();
        Log.Logger = SiloLogging.CreateLogger(options, errors);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            // AddSerilog replaces the host's logger factory: every ILogger<T> writes through the logger above
            // (flushed and disposed in finally); the default providers are cleared so none is ever built.
            builder.Logging.ClearProviders();
            builder.Services.AddSerilog(Log.Logger, dispose: false);
            PrepareSocket(options.SocketPath);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
                // HTTP/1.1 on both: PLATFORM.md measured it ~2x HTTP/2 for 4 MiB bodies here (docs/decisions/0002-transport.md).
                kestrel.ListenUnixSocket(options.SocketPath, o => o.Protocols = HttpProtocols.Http1);
                if (options.Listen is { } listen)
                {
                    kestrel.Listen(IPEndPoint.Parse(listen.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)), o => o.Protocols = HttpProtocols.Http1);
                }
            });
            builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()));

            // The node (stores, counters) exists before the host: its grains are resolved from the host's services.
            using var loggerFactory = new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger, dispose: false);
            using var node = new SiloNode(options, loggerFactory, TimeProvider.System);
            var self = new ClusterViewSelf(node.SiloId, options.Advertise ?? new Uri($"http://{options.SiloEndpoint}/"), options.CacheSizeBytes, node.StartedAt, SiloApi.Version);
            builder.Services.AddSingleton(node.Resources);
            builder.Services.AddSingleton<OrleansMount.Grains.Prefetch.IPrefetchRunner>(node.Prefetch);
            var nodeServices = new NodeServices(node);
            builder.Services.AddSingleton<INodeServices>(nodeServices);
            builder.Services.AddHostedService<Monitoring.NativeMemoryTrim>();
            var tls = options.TlsCertificate is { } certificate
                ? new ClusterTls(certificate, node.Counters, loggerFactory.CreateLogger<ClusterTls>(), TimeProvider.System)
                : null;
            builder.UseOrleans(silo => OrleansSilo.Configure(silo, options, self, tls));
            await using var app = builder.Build();
            app.UseSerilogRequestLogging(SiloLogging.ConfigureRequestLogging);
            using var throughput = new ThroughputSampler(node.Counters, TimeProvider.System, ThroughputInterval);
            var mounts = new Mounts.MountTable(TimeProvider.System, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<Mounts.MountTable>());
            var reporter = new NodeReporter(node, errors, throughput, TimeProvider.System, mounts);
            nodeServices.Reporter = reporter;
            var metrics = new SiloMetrics(node, reporter, errors, TimeProvider.System);
            ClusterAuth.Use(app, options.Secret, TimeProvider.System, node.Counters);
            SiloEndpoints.Map(app, node);
            MonitoringEndpoints.Map(app, reporter, metrics);
            if (options.OrleansDashboard)
            {
                // On the same listeners as the product's dashboard, and under the same rule (ClusterAuth: a GET
                // outside /api/ is a read-only operator view, anything else must be signed).
                app.MapOrleansDashboard(routePrefix: OrleansDashboardPath);
            }
            Mounts.MountEndpoints.Map(app, mounts);
            // Said before joining: a silo whose TLS setting differs from the cluster's fails to join, and this is why.
            LogClusterSecurity(options);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Orleans.Runtime.OrleansException e) when (options.Redis is not null)
            {
                throw new OrleansMountException($"cannot join cluster '{options.Cluster}': {e.Message}", 3);
            }
            catch (RedisConnectionException e) when (e.FailureType == ConnectionFailureType.AuthenticationFailure)
            {
                throw options.RedisPassword is { } password
                    ? new OrleansMountException($"cannot join cluster '{options.Cluster}': Redis at {options.Redis} refused the {password}: {e.InnerException?.Message ?? e.Message}", 3)
                    : new OrleansMountException($"cannot join cluster '{options.Cluster}': Redis at {options.Redis} requires a password: set {RedisPassword.Variable} or --redis-password-file", 3);
            }
            catch (RedisConnectionException e)
            {
                throw new OrleansMountException($"cannot join cluster '{options.Cluster}': Redis at {options.Redis} cannot be reached: {e.Message}", 3);
            }

            // The view started when the silo became active (ClusterViewStarter).
            node.Attach(app.Services.GetRequiredService<IGrainFactory>(), app.Services.GetRequiredService<ClusterView>());
            File.SetUnixFileMode(options.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            Log.Information("silo {SiloId} ready: socket {Socket}, listen {Listen}, cluster {Cluster}, cache {Cache} ({CacheSize}), catalog {Catalog}", node.SiloId, options.SocketPath, options.Listen ?? "none", options.Redis is null ? "none (single node)" : $"{options.Cluster} at redis {options.Redis}, advertised as {options.Advertise}", options.CacheDirectory, ByteSize.Format(options.CacheSizeBytes), options.Catalog);
            if (options.Secret is { } secret)
            {
                Log.Information("requests to this silo are authenticated with the {Secret}", secret);
            }
            else if (options.Redis is not null)
            {
                Log.Warning("no cluster secret: any process that reaches {Listen} or the socket can read through this silo; set {Variable} or --secret-file on every silo and mount", options.Listen, OrleansMount.Core.Security.ClusterSecret.FileEnvironmentVariable);
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            Log.Information("silo {SiloId} left the cluster and stopped", node.SiloId);
            return 0;
        }
        catch (OrleansMountException e)
        {
            Log.Error("{Message}", e.Message);
            return e.ExitCode;
        }
        catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            Log.Error("cannot listen: {Message}. Is another silo running? Choose another --listen or --socket.", e.Message);
            return 3;
        }
        finally
        {
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>How the silo-to-silo connections and the membership table are protected; a warning for each that is not.</summary>
    private static void LogClusterSecurity(SiloOptions options)
    {
        if (options.Redis is null)
        {
            return;
        }

        if (options.TlsCertificate is { } certificate)
        {
            Log.Information("silo-to-silo connections on {SiloEndpoint} use mutual TLS with the {Certificate}; peers presenting another certificate are refused", options.SiloEndpoint, certificate);
            var left = certificate.Certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow;
            if (left < CertificateExpiryWarning)
            {
                // Running silos keep accepting each other after the date (the peer check compares the certificate's
                // bytes only), but no silo can start with it any more: a restart after it would split the cluster.
                Log.Warning("the cluster certificate expires on {NotAfter:yyyy-MM-dd HH:mm} UTC, in {Days:0} days; after that no silo can start with it: give every silo a new --tls-certificate before", certificate.Certificate.NotAfter.ToUniversalTime(), left.TotalDays);
            }
        }
        else
        {
            Log.Warning("no TLS certificate: silo-to-silo traffic on {SiloEndpoint} is unencrypted and unauthenticated, and a cluster whose silos use TLS refuses this silo; give every silo the same --tls-certificate", options.SiloEndpoint);
        }

        if (options.RedisPassword is { } password)
        {
            Log.Information("the membership table at redis {Redis} is opened with the {Password}", options.Redis, password);
        }
        else
        {
            Log.Warning("no Redis password: any process that reaches redis {Redis} can rewrite this cluster's membership; set requirepass on Redis and {Variable} or --redis-password-file on every silo", options.Redis, RedisPassword.Variable);
        }
    }

    /// <summary>Creates the socket's directory (owner-only) and removes a stale socket a crashed silo left behind.</summary>
    private static void PrepareSocket(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (File.Exists(path))
        {
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            try
            {
                probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                throw new OrleansMountException($"another silo is already serving {path}; stop it or pass another --socket", 3);
            }
            catch (System.Net.Sockets.SocketException)
            {
                File.Delete(path);
            }
        }
    }
}
