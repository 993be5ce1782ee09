using Orleans.Concurrency;

namespace OrleansMount.Grains.Cluster;

/// <summary>
/// One silo's <see cref="ClusterView"/> as the other silos address it (key <see cref="GrainKeys.Node"/>, activated on
/// that silo and nowhere else, like the node grain).
/// </summary>
[Alias("om.IClusterViewGrain")]
public interface IClusterViewGrain : IGrainWithStringKey
{
    /// <summary>
    /// <paramref name="silo"/> is stopping gracefully (<see cref="ClusterHandover"/>): this silo places no key on it
    /// from now on, and moves none of its own activations there.
    /// </summary>
    [Alias("leaving")]
    Task LeavingAsync(SiloAddress silo);
}

/// <summary>The cluster view grain: reentrant and stateless, it only tells this silo's view.</summary>
[RendezvousPlacement, Reentrant]
public sealed class ClusterViewGrain(ClusterView view) : Grain, IClusterViewGrain
{
    public Task LeavingAsync(SiloAddress silo)
    {
        view.ExcludeLeaving(silo);
        return Task.CompletedTask;
    }
}
