using System.Collections.Concurrent;

namespace OrleansMount.Grains.Runtime;

/// <summary>
/// A silo's activations of one grain type: created on first call, deactivated when idle for
/// <see cref="IdleTimeout"/> (by <see cref="CollectIdle"/>, which the silo calls periodically).
/// Every grain here owns immutable data, so a second activation elsewhere during a membership
/// change costs a duplicate fetch, never a wrong answer.
/// </summary>
public sealed class ActivationTable<TKey, TGrain>
    where TKey : notnull
    where TGrain : class
{
    private readonly ConcurrentDictionary<TKey, Activation> _activations = new();
    private readonly Func<TKey, TGrain> _factory;
    private readonly TimeProvider _time;

    public ActivationTable(Func<TKey, TGrain> factory, TimeProvider time, TimeSpan idleTimeout)
    {
        _factory = factory;
        _time = time;
        IdleTimeout = idleTimeout;
    }

    public TimeSpan IdleTimeout { get; }

    public int Count => _activations.Count;

    public long Activated { get; private set; }

    public TGrain Get(TKey key)
    {
        var activation = _activations.GetOrAdd(key, k =>
        {
            Activated++;
            return new Activation(_factory(k));
        });
        activation.LastUse = _time.GetTimestamp();
        return activation.Grain;
    }

    /// <summary>Drops activations idle for longer than the timeout; returns how many.</summary>
    public int CollectIdle(Func<TGrain, bool>? isBusy = null)
    {
        var removed = 0;
        foreach (var (key, activation) in _activations)
        {
            if (_time.GetElapsedTime(activation.LastUse) >= IdleTimeout && (isBusy is null || !isBusy(activation.Grain))
                && _activations.TryRemove(new KeyValuePair<TKey, Activation>(key, activation)))
            {
                removed++;
            }
        }

        return removed;
    }

    private sealed class Activation(TGrain grain)
    {
        public TGrain Grain { get; } = grain;

        public long LastUse { get; set; }
    }
}
