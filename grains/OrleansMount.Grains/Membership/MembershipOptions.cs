namespace OrleansMount.Grains.Membership;

/// <summary>Timing of a silo's membership agent (<see cref="MembershipService"/>).</summary>
public sealed record MembershipOptions
{
    /// <summary>How often the silo writes its heartbeat.</summary>
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the silo re-reads the table when no change notification arrives (polling covers lost notifications).</summary>
    public TimeSpan RefreshPeriod { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A silo whose heartbeat is older than this (by the observer's clock) is declared dead by any peer.</summary>
    public TimeSpan DeadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Entries declared dead are removed once their heartbeat is older than this, so the table does not grow with every crash.</summary>
    public TimeSpan DeadEntryRetention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Run the heartbeat and refresh loops after joining. Tests with a manual clock turn this off
    /// and drive <see cref="MembershipService.HeartbeatOnceAsync"/>,
    /// <see cref="MembershipService.RefreshOnceAsync"/> and
    /// <see cref="MembershipService.DetectDeadOnceAsync"/> themselves.
    /// </summary>
    public bool RunBackgroundLoops { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (HeartbeatPeriod <= TimeSpan.Zero || RefreshPeriod <= TimeSpan.Zero)
        {
            throw new ArgumentException($"HeartbeatPeriod ({HeartbeatPeriod}) and RefreshPeriod ({RefreshPeriod}) must be positive");
        }

        // Two missed heartbeats must not be enough to be declared dead.
        if (DeadTimeout < 2 * HeartbeatPeriod)
        {
            throw new ArgumentException($"DeadTimeout ({DeadTimeout}) must be at least twice HeartbeatPeriod ({HeartbeatPeriod})", nameof(DeadTimeout));
        }

        if (DeadEntryRetention < TimeSpan.Zero)
        {
            throw new ArgumentException($"DeadEntryRetention must not be negative, got {DeadEntryRetention}", nameof(DeadEntryRetention));
        }
    }
}
