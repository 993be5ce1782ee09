namespace OrleansMount.Grains.Membership;

/// <summary>Where a silo is in its life, as written in the membership table.</summary>
public enum SiloStatus
{
    /// <summary>Registered but not yet serving: peers must not place grains on it.</summary>
    Joining = 0,

    /// <summary>Serving: a placement target.</summary>
    Active = 1,

    /// <summary>Leaving on purpose: no new placements; its entry is removed when it is gone.</summary>
    ShuttingDown = 2,

    /// <summary>Declared dead by a peer because its heartbeat was older than the timeout.</summary>
    Dead = 3,
}
