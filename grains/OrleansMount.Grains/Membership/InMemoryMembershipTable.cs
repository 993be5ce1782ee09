namespace OrleansMount.Grains.Membership;

/// <summary>
/// A membership table in process memory: the single-node default and the double for tests.
/// Thread-safe; share one instance between services to model a cluster. <see cref="Changed"/> is
/// raised on the writer's thread after the lock is released.
/// </summary>
public sealed class InMemoryMembershipTable : IMembershipTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SiloEntry> _entries = new(StringComparer.Ordinal);
    private long _version;

    public event Action<long>? Changed;

    public Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(new MembershipSnapshot(_version, _entries.Values));
        }
    }

    public Task<long> UpsertAsync(SiloEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        long version;
        lock (_lock)
        {
            _entries[entry.SiloId] = entry;
            version = ++_version;
        }

        Changed?.Invoke(version);
        return Task.FromResult(version);
    }

    public Task<bool> HeartbeatAsync(string siloId, DateTimeOffset time, CancellationToken cancellationToken = default)
    {
        SiloEntry.ValidateSiloId(siloId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_entries.TryGetValue(siloId, out var entry) || entry.Status == SiloStatus.Dead)
            {
                return Task.FromResult(false);
            }

            _entries[siloId] = entry with { HeartbeatAt = time };
            return Task.FromResult(true);
        }
    }

    public Task<bool> RemoveAsync(string siloId, CancellationToken cancellationToken = default)
    {
        SiloEntry.ValidateSiloId(siloId);
        cancellationToken.ThrowIfCancellationRequested();
        long version;
        lock (_lock)
        {
            if (!_entries.Remove(siloId))
            {
                return Task.FromResult(false);
            }

            version = ++_version;
        }

        Changed?.Invoke(version);
        return Task.FromResult(true);
    }

    public Task<bool> DeclareDeadAsync(string siloId, DateTimeOffset? staleBefore = null, CancellationToken cancellationToken = default)
    {
        SiloEntry.ValidateSiloId(siloId);
        cancellationToken.ThrowIfCancellationRequested();
        long version;
        lock (_lock)
        {
            if (!_entries.TryGetValue(siloId, out var entry)
                || entry.Status == SiloStatus.Dead
                || (staleBefore is { } limit && entry.HeartbeatAt >= limit))
            {
                return Task.FromResult(false);
            }

            _entries[siloId] = entry with { Status = SiloStatus.Dead };
            version = ++_version;
        }

        Changed?.Invoke(version);
        return Task.FromResult(true);
    }
}
