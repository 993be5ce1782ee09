namespace OrleansMount.Core.Security;

/// <summary>What <see cref="NonceWindow.TryAdd"/> decided.</summary>
public enum NonceVerdict
{
    /// <summary>First use of this signature: remembered until its time leaves the window.</summary>
    Accepted,

    /// <summary>This signature (time and nonce) was already accepted and is still remembered.</summary>
    Replayed,

    /// <summary>
    /// The signature's time is at or before the newest second the window had to forget early because it was
    /// full: it can no longer tell a first use from a replay there, so it refuses.
    /// </summary>
    Forgotten,
}
