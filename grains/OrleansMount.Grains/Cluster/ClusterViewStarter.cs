namespace OrleansMount.Grains.Cluster;

/// <summary>
/// Starts the silo's <see cref="ClusterView"/> at <see cref="ServiceLifecycleStage.Active"/>: the stage right after
/// this silo became Active in the membership, so the view's first snapshot lists it and the first grain placed
/// here already sees the other members (not only this silo, as the view does before <see cref="ClusterView.Start"/>).
/// </summary>
public sealed class ClusterViewStarter(ClusterView view) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ClusterViewStarter), ServiceLifecycleStage.Active, _ =>
        {
            view.Start();
            return Task.CompletedTask;
        });
}
