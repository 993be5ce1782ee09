using System.Collections.Concurrent;

namespace OrleansMount.Grains.Runtime;

/// <summary>
/// Owners this silo stopped asking for a while because a call to them failed without an answer
/// (refused, reset, timed out). Until the suspicion expires, calls for their keys go straight to the
/// fallback, so a silent owner costs one timeout rather than one per chunk. It is a local judgement:
/// membership still lists the owner until its heartbeat is older than the dead timeout.
/// </summary>
public sealed class OwnerSuspects(TimeProvider time, TimeSpan duration)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public TimeSpan Duration { get; } = duration;

    /// <summary>Marks an owner suspect; true if it was not already.</summary>
    public bool Mark(string siloId)
    {
        var until = time.GetUtcNow() + Duration;
        var fresh = !IsSuspect(siloId);
        _until[siloId] = until;
        return fresh;
    }

    public bool IsSuspect(string siloId)
    {
        if (!_until.TryGetValue(siloId, out var until))
        {
            return false;
        }

        if (time.GetUtcNow() < until)
        {
            return true;
        }

        _until.TryRemove(new KeyValuePair<string, DateTimeOffset>(siloId, until));
        return false;
    }

    /// <summary>Clears a suspicion (e.g. the owner answered, or rejoined).</summary>
    public void Clear(string siloId) => _until.TryRemove(siloId, out _);

    /// <summary>The owners suspect now.</summary>
    public IReadOnlyList<string> Current => [.. _until.Keys.Where(IsSuspect).Order(StringComparer.Ordinal)];
}
