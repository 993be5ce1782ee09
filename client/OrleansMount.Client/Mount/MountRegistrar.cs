using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Keeps a mount registered with its silo (<c>POST /api/v1/mounts</c>) while it runs: at once, then every
/// <see cref="MountRegistration.RenewInterval"/>, so a restarted silo learns of it again; unregisters on dispose.
/// A silo that does not know the call (an older version) or does not answer only costs a log line: the mount
/// itself never depends on it.
/// </summary>
public sealed class MountRegistrar : IAsyncDisposable
{
    private readonly SiloClient _silo;
    private readonly MountRegistration _registration;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _failing;

    public MountRegistrar(SiloClient silo, MountRegistration registration, ILogger logger, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(logger);
        _silo = silo;
        _registration = registration;
        _logger = logger;
        _interval = interval ?? MountRegistration.RenewInterval;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _silo.RegisterMountAsync(_registration, cancellationToken).ConfigureAwait(false);
                if (_failing)
                {
                    _logger.LogInformation("registered {Mountpoint} with the silo again", _registration.Mountpoint);
                }

                _failing = false;
            }
            catch (SiloException e)
            {
                if (!_failing)
                {
                    _logger.LogWarning("could not register {Mountpoint} with the silo ({Message}); reads are not affected, but 'orleansmount status' and the dashboard will not list this mount until it succeeds", _registration.Mountpoint, e.Message);
                }

                _failing = true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(_interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops renewing and tells the silo the mount is gone (bounded: 5 s).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _silo.UnregisterMountAsync(_registration.Mountpoint, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SiloException or OperationCanceledException)
        {
            // The silo forgets it after MountRegistration.Expiry anyway.
        }
    }
}
