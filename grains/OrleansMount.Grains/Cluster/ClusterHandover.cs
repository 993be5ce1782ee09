using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansMount.Grains.Cluster;

/// <summary>
/// A graceful stop hands this silo's keys over before it leaves (../shared/PLATFORM.md, re-homing recipe, step 5):
/// <list type="number">
/// <item>every other member is told this silo is leaving (<see cref="IClusterViewGrain"/>), so their directors stop
/// placing keys here and no activation moves back (Orleans' membership shows the shutdown only later);</item>
/// <item>this silo leaves its own view (<see cref="ClusterView.Leave"/>): every local activation of an
/// <see cref="OwnedGrain"/> migrates to its key's next owner;</item>
/// <item>it waits, bounded by <see cref="Bound"/>, until none is left, then <see cref="Drain"/> more so that a peer
/// told "this silo holds the chunk" just before can still copy it.</item>
/// </list>
/// It runs in <see cref="IHostedLifecycleService.StoppingAsync"/>, before any hosted service stops: the host stops
/// its services in reverse order and ASP.NET Core starts its web server last, so Kestrel (the data endpoint peers
/// copy bytes from) stops before the Orleans silo does, and a handover inside the silo's lifecycle would run with
/// the data endpoint already closed (peers' copies refused: owner fallbacks). Node and prefetch-job grains stay
/// (a node grain belongs to its silo; a job's record is persisted and resumed elsewhere).
/// </summary>
public sealed class ClusterHandover(ClusterView view, IGrainFactory grains, ILogger<ClusterHandover> logger) : IHostedLifecycleService
{
    /// <summary>How long the stop waits for the activations to leave.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    /// <summary>How long the data endpoint keeps serving after the last activation left.</summary>
    public static readonly TimeSpan Drain = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan TellTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(1);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var others = view.Placement.Members.Select(m => m.SiloId).Where(id => id != view.SiloId).ToList();
        if (!view.Started || others.Count == 0)
        {
            logger.LogInformation("stopping {Reason}: no activation to hand over", view.Started ? "as the only member of the placement" : "before the silo became active");
            return;
        }

        var clock = Stopwatch.StartNew();
        var told = await Task.WhenAll(others.Select(TellAsync)).ConfigureAwait(false);
        var before = view.LocalActivations;
        view.Leave();
        var lastRecheck = clock.Elapsed;
        while (view.LocalActivations > 0 && clock.Elapsed < Bound && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(Poll, CancellationToken.None).ConfigureAwait(false);
            if (clock.Elapsed - lastRecheck >= RecheckEvery)
            {
                // Stragglers: an activation placed here by a silo that had not heard yet, or a re-check that failed.
                view.RecheckActivations();
                lastRecheck = clock.Elapsed;
            }
        }

        var left = view.LocalActivations;
        var handedOver = clock.Elapsed;
        if (before > 0)
        {
            await Task.Delay(Drain, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (left == 0)
        {
            logger.LogInformation("handed {Count} activations over to their next owners in {Seconds:0.00} s ({Told} of {Others} silos told); leaving the cluster", before, handedOver.TotalSeconds, told.Count(t => t), others.Count);
        }
        else
        {
            logger.LogWarning("handed {Moved} of {Count} activations over to their next owners in {Seconds:0.00} s ({Told} of {Others} silos told); the other {Left} end with the silo", before - left, before, handedOver.TotalSeconds, told.Count(t => t), others.Count, left);
        }
    }

    private async Task<bool> TellAsync(string siloId)
    {
        try
        {
            await grains.GetGrain<IClusterViewGrain>(GrainKeys.Node(siloId)).LeavingAsync(view.LocalAddress).WaitAsync(TellTimeout).ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            // It learns from Orleans' membership a little later; meanwhile it may still place a key here (the wait above moves it).
            logger.LogWarning("could not tell silo {Silo} that this silo is leaving: {Message}", siloId, e.Message);
            return false;
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
