namespace OrleansMount.Tests.Cluster;

/// <summary>Three silos (capacities 1:2:1) shared by the <see cref="GrainTests"/> that need no cluster of their own.</summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    private GrainTestCluster? _cluster;

    public GrainTestCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster is not started");

    public async Task InitializeAsync()
    {
        _cluster = await GrainTestCluster.StartAsync(3);
        await _cluster.WaitForViewsAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
