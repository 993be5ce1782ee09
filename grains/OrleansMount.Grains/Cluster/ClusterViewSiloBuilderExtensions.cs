using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace OrleansMount.Grains.Cluster;

/// <summary>The cluster view and the placement that reads it, wired into a silo (the product's and the tests').</summary>
public static class ClusterViewSiloBuilderExtensions
{
    /// <summary>
    /// Names the silo <see cref="ClusterViewSelf.SiloId"/>, publishes its data address and capacity as silo metadata,
    /// registers the one <see cref="ClusterView"/> (started when the silo becomes active, <see cref="ClusterViewStarter"/>),
    /// the <see cref="RendezvousPlacementDirector"/> that places grains by it, and the <see cref="ClusterHandover"/> that
    /// hands the silo's activations over when it stops gracefully.
    /// </summary>
    public static ISiloBuilder AddClusterView(this ISiloBuilder silo, ClusterViewSelf self)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(self);
        // The view knows the other silos by their Orleans silo name, so this silo's name must be its id.
        silo.Configure<SiloOptions>(o => o.SiloName = self.SiloId);
        silo.UseSiloMetadata(SiloMetadataKeys.For(self.DataAddress, self.CapacityBytes, self.StartedAt, self.Version));
        silo.Services.AddSingleton(self);
        silo.Services.AddSingleton<ClusterView>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ClusterViewStarter>();
        silo.Services.AddPlacementDirector<RendezvousPlacement, RendezvousPlacementDirector>();
        silo.Services.AddHostedService<ClusterHandover>();
        return silo;
    }
}
