namespace OrleansMount.Grains.Cluster;

/// <summary>
/// A grain whose activation belongs on the owner of its key (<see cref="RendezvousPlacement"/>). Orleans consults
/// placement only at activation, so the grain moves itself home (<c>MigrateOnIdle</c>, which asks the director)
/// when <see cref="ClusterView"/> says another silo owns its key: checked 2 s after activation (an activation that
/// just arrived by migration must not bounce at once) and on every membership change.
/// </summary>
public abstract class OwnedGrain(ClusterView view) : Grain
{
    private static readonly TimeSpan FirstCheck = TimeSpan.FromSeconds(2);
    private IDisposable? _tracked;
    private ulong _key;

    protected ClusterView View => view;

    /// <summary>Times activations of this silo moved away to their owner.</summary>
    public static long Migrations => Interlocked.Read(ref _migrations);

    private static long _migrations;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var grain = this.GetGrainId();
        _key = GrainKeys.PlacementKeyOf(grain);
        // The view calls the re-check from its own thread: the factory and key are taken here, in the activation
        // (Orleans refuses `GrainFactory` on a thread that is not the activation's).
        var factory = GrainFactory;
        var key = this.GetPrimaryKeyString();
        _tracked = view.Track(grain, GetType().Name, () => RecheckThroughGrainCall(factory, key));
        // OnDeactivateAsync is skipped when a grain migrates while still activating; this always runs.
        _ = ((IGrainBase)this).GrainContext.Deactivated.ContinueWith(_ => _tracked.Dispose(), TaskScheduler.Default);
        this.RegisterGrainTimer(RecheckAsync, new GrainTimerCreationOptions(FirstCheck, Timeout.InfiniteTimeSpan) { Interleave = true });
        return Task.CompletedTask;
    }

    /// <summary>Moves this activation to the key's owner when that is another silo (never when it is this one: that would deactivate it).</summary>
    protected Task RecheckAsync()
    {
        if (!view.OwnsHere(_key) && view.OwnerOf(_key).Address is not null)
        {
            Interlocked.Increment(ref _migrations);
            this.MigrateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <summary>Asks this activation, through a grain call, to run <see cref="RecheckAsync"/> (so it runs in the grain's context).</summary>
    protected abstract Task RecheckThroughGrainCall(IGrainFactory factory, string key);
}
