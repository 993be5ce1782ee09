using Orleans.Configuration;
using Orleans.Dashboard;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Prefetch;
using StackExchange.Redis;

namespace OrleansMount.Silo.Cluster;

/// <summary>
/// The Orleans silo inside the silo's ASP.NET Core host (<c>UseOrleans</c>): Redis clustering with <c>--redis</c>
/// (cluster id = <c>--cluster</c>, the Redis password if one is set), else a one-silo localhost cluster; mutual TLS
/// between silos with <c>--tls-certificate</c> (<see cref="ClusterTls"/>). No gateway: mounts and the CLI talk to
/// the silo over its HTTP API, never as Orleans clients.
/// </summary>
public static class OrleansSilo
{
    /// <summary>The Orleans service id every OrleansMount silo shares (clusters are told apart by cluster id).</summary>
    public const string ServiceId = "orleansmount";

    /// <summary>Remote grain locations each silo remembers (<see cref="GrainDirectoryOptions.CacheSize"/>).</summary>
    public const int DirectoryCacheSize = 100_000;

    public static void Configure(ISiloBuilder silo, SiloOptions options, ClusterViewSelf self, ClusterTls? tls)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.SiloEndpoint;
        if (options.Redis is { } redis)
        {
            silo.UseRedisClustering(o =>
            {
                o.ConfigurationOptions = ConfigurationOptions.Parse(redis);
                o.ConfigurationOptions.Password = options.RedisPassword?.Value;
            });
            // Prefetch jobs' records outlive the silo that started them (PrefetchJobGrain).
            silo.AddRedisGrainStorage(PrefetchJobGrain.StorageName, o =>
            {
                o.ConfigurationOptions = ConfigurationOptions.Parse(redis);
                o.ConfigurationOptions.Password = options.RedisPassword?.Value;
            });
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.Cluster;
                o.ServiceId = ServiceId;
            });
            // Listen on the advertised address only (as --listen does), never on every interface.
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = endpoint.Address;
                o.SiloPort = endpoint.Port;
                o.GatewayPort = 0;
                o.SiloListeningEndpoint = endpoint;
            });
        }
        else
        {
            silo.AddMemoryGrainStorage(PrefetchJobGrain.StorageName);
            silo.UseLocalhostClustering(siloPort: endpoint.Port, gatewayPort: 0, serviceId: ServiceId, clusterId: options.Cluster);
        }

        tls?.Configure(silo);

        // The silo is named by its id and publishes its data endpoint and capacity; ClusterView builds the placement
        // from them and starts when the silo becomes active.
        silo.AddClusterView(self);

        // Failure detection tuned so a killed silo is declared dead within a few seconds (../shared/PLATFORM.md:
        // ~11 s with the defaults). Probes share no connection with chunk bytes, which travel over Kestrel.
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 3;
            o.NumVotesForDeathDeclaration = 1;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            o.DefunctSiloExpiration = TimeSpan.FromMinutes(10);
        });

        // The distributed directory does not deactivate the survivors' activations when a silo leaves, and without
        // a range lease a dead silo's directory ranges are taken over at once (PLATFORM.md, re-homing recipe).
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        // Its location cache holds where remote grains live; Orleans sizes it for 1,000,000 entries and allocates
        // the table for them up front (9.3 MB of every silo's heap, measured with dotnet-gcdump). A miss costs one
        // directory call before a grain call, and the grains this silo calls remotely are chunk grains (each call
        // then copies up to a chunk from a peer), range and snapshot grains: 100,000 entries cost nothing measurable.
        silo.Configure<GrainDirectoryOptions>(o =>
        {
            o.RangeLeaseDuration = TimeSpan.Zero;
            o.CacheSize = DirectoryCacheSize;
        });

        // A chunk's activation holds nothing but a finished fill: collect idle ones after 2 min (Orleans' default is
        // 15), as the home-made activation table did, so a long epoch does not keep one object per chunk alive.
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(2));

        // A grain call that takes longer than --peer-timeout counts as not answered (the caller reads the object store).
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = options.PeerTimeout);

        if (options.OrleansDashboard)
        {
            // Mapped at /orleans by SiloHost. Its log stream stays off: the silo logs through Serilog, which the
            // stream does not see, and the product's dashboard shows the recent warnings and errors.
            silo.AddDashboard(o => o.HideTrace = true);
        }
    }
}
