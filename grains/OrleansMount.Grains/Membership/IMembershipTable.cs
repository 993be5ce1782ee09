namespace OrleansMount.Grains.Membership;

/// <summary>
/// The cluster's membership table: one entry per silo and a version that grows with every
/// membership change. Plain Task-returning, like an Orleans membership provider. Every operation
/// is atomic on its own; none is transactional with another.
/// </summary>
/// <remarks>
/// Implementations throw <see cref="MembershipUnavailableException"/> when the backing store
/// cannot be reached; nothing else is expected of a healthy deployment.
/// </remarks>
public interface IMembershipTable
{
    /// <summary>
    /// Raised with the new table version after a change (upsert, remove, declare dead) commits,
    /// by this client or, for a shared store, by any other. A hint only: a notification can be
    /// lost (for Redis, while disconnected), repeated or out of order, and may be raised on a
    /// store thread, so handlers must be quick and must not throw; read the table for the truth
    /// and poll as well. Heartbeats raise nothing.
    /// </summary>
    /// <remarks>
    /// An event rather than <c>IAsyncEnumerable</c>: the only consumer wants "something changed,
    /// re-read soon", the store's callback is push-based already, and an event needs no pump or
    /// buffer that a slow reader could fill.
    /// </remarks>
    event Action<long>? Changed;

    /// <summary>Reads every entry and the version in one atomic step.</summary>
    Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces the entry of <see cref="SiloEntry.SiloId"/> and bumps the version in the same step; returns the new version.</summary>
    Task<long> UpsertAsync(SiloEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the entry's <see cref="SiloEntry.HeartbeatAt"/> without bumping the version. Returns
    /// false, changing nothing, when the silo has no entry or is <see cref="SiloStatus.Dead"/>:
    /// the caller should upsert itself again (rejoin).
    /// </summary>
    Task<bool> HeartbeatAsync(string siloId, DateTimeOffset time, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry and bumps the version; false (version unchanged) when there was none.</summary>
    Task<bool> RemoveAsync(string siloId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the entry <see cref="SiloStatus.Dead"/> and bumps the version. With
    /// <paramref name="staleBefore"/>, only if its heartbeat is still older than that, checked in
    /// the same atomic step, so a silo that heartbeats in the meantime is left alone. False when
    /// nothing changed (no entry, already dead, or heartbeat not stale).
    /// </summary>
    Task<bool> DeclareDeadAsync(string siloId, DateTimeOffset? staleBefore = null, CancellationToken cancellationToken = default);
}
