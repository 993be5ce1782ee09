using System.Net;
using Orleans.Configuration;
using StackExchange.Redis;

namespace OrleansMount.Silo.Cluster;

/// <summary>
/// The Orleans silo inside the silo's ASP.NET Core host (<c>UseOrleans</c>): Redis clustering with <c>--redis</c>
/// (cluster id = <c>--cluster</c>), else a one-silo localhost cluster. No gateway: mounts and the CLI talk to the
/// silo over its HTTP API, never as Orleans clients.
/// </summary>
public static class OrleansSilo
{
    /// <summary>The Orleans service id every OrleansMount silo shares (clusters are told apart by cluster id).</summary>
    public const string ServiceId = "orleansmount";

    public static void Configure(ISiloBuilder silo, SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.SiloEndpoint;
        if (options.Redis is { } redis)
        {
            silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
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
            silo.UseLocalhostClustering(siloPort: endpoint.Port, gatewayPort: 0, serviceId: ServiceId, clusterId: options.Cluster);
        }

        silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = options.SiloId ?? throw new ArgumentException("the silo id is settled before the host is built", nameof(options)));
    }
}
