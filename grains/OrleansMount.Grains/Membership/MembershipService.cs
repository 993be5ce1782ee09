using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrleansMount.Grains.Membership;

/// <summary>
/// A silo's membership agent: registers the silo (Joining, then Active), heartbeats, keeps
/// <see cref="CurrentView"/> fresh (poll + change notification), declares peers with stale
/// heartbeats dead, and leaves (ShuttingDown, then removed).
/// </summary>
/// <remarks>
/// Failure behaviour: once joined, nothing here throws because the table is unreachable. The
/// view stays the last one read, the loops log and retry at their own period, and when the table
/// answers again a silo whose entry is missing (the store lost its data) or marked dead upserts
/// itself again. Only <see cref="JoinAsync"/> reports an unreachable table to its caller, since
/// nothing has been registered then.
/// </remarks>
public sealed class MembershipService : IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly Lock _lifecycle = new();
    private volatile MembershipSnapshot _view = MembershipSnapshot.Empty;
    private volatile SiloEntry _self;
    private volatile bool _joined;
    private volatile bool _available = true;
    private TaskCompletionSource _wake = NewWake();
    private CancellationTokenSource? _loopsCancellation;
    private Task _loops = Task.CompletedTask;

    public MembershipService(
        IMembershipTable table,
        string siloId,
        Uri address,
        long capacityBytes,
        string version,
        MembershipOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
        _options = options ?? new MembershipOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var now = _time.GetUtcNow();
        // Validates id, address and capacity now rather than at join time.
        _self = new SiloEntry(siloId, address, SiloStatus.Joining, capacityBytes, now, now, version);
    }

    /// <summary>Raised when <see cref="CurrentView"/> changes membership (not for heartbeat times). Handlers run on the refreshing thread and must be quick.</summary>
    public event Action<MembershipSnapshot>? ViewChanged;

    public string SiloId => _self.SiloId;

    /// <summary>The last table state read successfully (<see cref="MembershipSnapshot.Empty"/> before joining).</summary>
    public MembershipSnapshot CurrentView => _view;

    /// <summary>This silo's own entry as it last wrote it.</summary>
    public SiloEntry Self => _self;

    /// <summary>False after a table operation failed as unavailable, true again after one succeeds.</summary>
    public bool IsTableAvailable => _available;

    /// <summary>
    /// Registers this silo (Joining, then Active), reads the view and starts the loops. Throws
    /// <see cref="MembershipUnavailableException"/> if the table cannot be reached; the caller may retry.
    /// </summary>
    public async Task JoinAsync(CancellationToken cancellationToken = default)
    {
        lock (_lifecycle)
        {
            if (_joined)
            {
                throw new InvalidOperationException($"silo {SiloId} has already joined");
            }
        }

        var now = _time.GetUtcNow();
        var joining = _self with { Status = SiloStatus.Joining, StartedAt = now, HeartbeatAt = now };
        _self = joining;
        await _table.UpsertAsync(joining, cancellationToken).ConfigureAwait(false);
        var active = joining with { Status = SiloStatus.Active, HeartbeatAt = _time.GetUtcNow() };
        _self = active;
        await _table.UpsertAsync(active, cancellationToken).ConfigureAwait(false);
        _joined = true;
        _table.Changed += OnTableChanged;
        _logger.LogInformation("Silo {SiloId} joined the cluster at {Address}", SiloId, active.Address);
        await RefreshOnceAsync(cancellationToken).ConfigureAwait(false);
        if (_options.RunBackgroundLoops)
        {
            StartLoops();
        }
    }

    /// <summary>
    /// Stops the loops, marks this silo ShuttingDown and removes its entry. If the table is
    /// unreachable it logs and returns: peers will declare the silo dead after the timeout.
    /// </summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        await StopLoopsAsync().ConfigureAwait(false);
        if (!_joined)
        {
            return;
        }

        _joined = false;
        _table.Changed -= OnTableChanged;
        try
        {
            var leaving = _self with { Status = SiloStatus.ShuttingDown, HeartbeatAt = _time.GetUtcNow() };
            _self = leaving;
            await _table.UpsertAsync(leaving, cancellationToken).ConfigureAwait(false);
            await _table.RemoveAsync(SiloId, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Silo {SiloId} left the cluster", SiloId);
            await RefreshOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MembershipUnavailableException e)
        {
            MarkUnavailable(e);
            _logger.LogWarning("Silo {SiloId} could not remove its membership entry ({Reason}); peers will declare it dead after {Timeout}", SiloId, e.Message, _options.DeadTimeout);
        }
    }

    /// <summary>Writes one heartbeat; rejoins if the entry is gone or dead. False if the table was unavailable.</summary>
    public async Task<bool> HeartbeatOnceAsync(CancellationToken cancellationToken = default)
    {
        if (!_joined)
        {
            return false;
        }

        try
        {
            var now = _time.GetUtcNow();
            if (await _table.HeartbeatAsync(SiloId, now, cancellationToken).ConfigureAwait(false))
            {
                _self = _self with { HeartbeatAt = now };
            }
            else
            {
                await RejoinAsync("its entry is missing or marked dead", cancellationToken).ConfigureAwait(false);
            }

            MarkAvailable();
            return true;
        }
        catch (MembershipUnavailableException e)
        {
            MarkUnavailable(e);
            return false;
        }
    }

    /// <summary>
    /// Reads the table into <see cref="CurrentView"/> (raising <see cref="ViewChanged"/> if the
    /// membership differs) and rejoins if this silo's entry is missing or dead. False, keeping the
    /// last view, if the table was unavailable.
    /// </summary>
    public async Task<bool> RefreshOnceAsync(CancellationToken cancellationToken = default)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            if (_joined && snapshot.Find(SiloId) is not { Status: not SiloStatus.Dead })
            {
                await RejoinAsync(snapshot.Find(SiloId) is null ? "its entry is missing from the table" : "it was declared dead", cancellationToken).ConfigureAwait(false);
                snapshot = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            }

            MarkAvailable();
            Apply(snapshot);
            return true;
        }
        catch (MembershipUnavailableException e)
        {
            MarkUnavailable(e);
            return false;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>
    /// Declares dead every other silo in <see cref="CurrentView"/> whose heartbeat is older than
    /// <see cref="MembershipOptions.DeadTimeout"/> (the table re-checks staleness atomically), and
    /// removes dead entries older than the retention. Returns how many were declared dead.
    /// </summary>
    public async Task<int> DetectDeadOnceAsync(CancellationToken cancellationToken = default)
    {
        if (!_joined)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        var staleBefore = now - _options.DeadTimeout;
        var forgetBefore = now - _options.DeadEntryRetention;
        var declared = 0;
        var changed = false;
        try
        {
            foreach (var member in _view.Members)
            {
                if (member.SiloId == SiloId)
                {
                    continue;
                }

                if (member.Status != SiloStatus.Dead && member.HeartbeatAt < staleBefore)
                {
                    if (await _table.DeclareDeadAsync(member.SiloId, staleBefore, cancellationToken).ConfigureAwait(false))
                    {
                        declared++;
                        changed = true;
                        _logger.LogWarning("Declared silo {Dead} dead: last heartbeat {HeartbeatAt:O}, older than {Timeout}", member.SiloId, member.HeartbeatAt, _options.DeadTimeout);
                    }
                }
                else if (member.Status == SiloStatus.Dead && member.HeartbeatAt < forgetBefore)
                {
                    changed |= await _table.RemoveAsync(member.SiloId, cancellationToken).ConfigureAwait(false);
                }
            }

            MarkAvailable();
        }
        catch (MembershipUnavailableException e)
        {
            MarkUnavailable(e);
            return declared;
        }

        if (changed)
        {
            await RefreshOnceAsync(cancellationToken).ConfigureAwait(false);
        }

        return declared;
    }

    /// <summary>Stops the loops without leaving (the entry stays until it is declared dead).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync().ConfigureAwait(false);
        if (_joined)
        {
            _table.Changed -= OnTableChanged;
        }
    }

    private async Task RejoinAsync(string reason, CancellationToken cancellationToken)
    {
        var entry = _self with { Status = SiloStatus.Active, HeartbeatAt = _time.GetUtcNow() };
        await _table.UpsertAsync(entry, cancellationToken).ConfigureAwait(false);
        _self = entry;
        _logger.LogWarning("Silo {SiloId} registered itself again because {Reason}", SiloId, reason);
    }

    private void Apply(MembershipSnapshot snapshot)
    {
        var previous = _view;
        _view = snapshot;
        if (previous.SameMembership(snapshot))
        {
            return;
        }

        _logger.LogInformation("Membership view of {SiloId} is now {View}", SiloId, snapshot);
        try
        {
            ViewChanged?.Invoke(snapshot);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A ViewChanged handler threw");
        }
    }

    private void OnTableChanged(long version)
    {
        if (version != _view.Version)
        {
            Volatile.Read(ref _wake).TrySetResult();
        }
    }

    private void MarkAvailable()
    {
        if (!_available)
        {
            _available = true;
            _logger.LogInformation("Membership table is reachable again (silo {SiloId})", SiloId);
        }
    }

    private void MarkUnavailable(MembershipUnavailableException e)
    {
        if (_available)
        {
            _available = false;
            _logger.LogWarning("Membership table unavailable, keeping the last view {View} and retrying: {Reason}", _view, e.Message);
        }
        else
        {
            _logger.LogDebug("Membership table still unavailable: {Reason}", e.Message);
        }
    }

    private void StartLoops()
    {
        lock (_lifecycle)
        {
            _loopsCancellation = new CancellationTokenSource();
            var token = _loopsCancellation.Token;
            _loops = Task.WhenAll(
                Task.Run(() => RunLoopAsync("heartbeat", HeartbeatLoopAsync, token), CancellationToken.None),
                Task.Run(() => RunLoopAsync("refresh", RefreshLoopAsync, token), CancellationToken.None));
        }
    }

    private async Task StopLoopsAsync()
    {
        CancellationTokenSource? cancellation;
        Task loops;
        lock (_lifecycle)
        {
            cancellation = _loopsCancellation;
            _loopsCancellation = null;
            loops = _loops;
            _loops = Task.CompletedTask;
        }

        if (cancellation is null)
        {
            return;
        }

        await cancellation.CancelAsync().ConfigureAwait(false);
        await loops.ConfigureAwait(false);
        cancellation.Dispose();
    }

    private async Task RunLoopAsync(string name, Func<CancellationToken, Task> loop, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await loop(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug or an unexpected store error must not end heartbeating for good.
                _logger.LogError(e, "Membership {Loop} loop of silo {SiloId} failed; restarting it", name, SiloId);
                try
                {
                    await Task.Delay(_options.HeartbeatPeriod, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatPeriod, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            await HeartbeatOnceAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var wake = Volatile.Read(ref _wake);
            using (var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var delay = Task.Delay(_options.RefreshPeriod, _time, delayCancellation.Token);
                await Task.WhenAny(delay, wake.Task).ConfigureAwait(false);
                await delayCancellation.CancelAsync().ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (wake.Task.IsCompleted)
            {
                // Swap before reading, so a notification that arrives during the read wakes the next round.
                Interlocked.CompareExchange(ref _wake, NewWake(), wake);
            }

            await RefreshOnceAsync(cancellationToken).ConfigureAwait(false);
            await DetectDeadOnceAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
