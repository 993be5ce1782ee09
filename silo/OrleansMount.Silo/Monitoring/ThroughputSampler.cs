using OrleansMount.Grains.Protocol;
using OrleansMount.Grains.Runtime;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// Samples a silo's read counters every <see cref="Interval"/> and keeps the bytes per second per
/// tier of the last <see cref="Capacity"/> intervals in memory (the dashboard's throughput chart).
/// </summary>
public sealed class ThroughputSampler : IDisposable
{
    public const int Capacity = 150;

    private readonly NodeCounters _counters;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Queue<ThroughputSample> _samples = new();
    private readonly ITimer _timer;
    private (long Local, long Peer, long ObjectStore, long Timestamp) _last;

    public ThroughputSampler(NodeCounters counters, TimeProvider time, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(time);
        _counters = counters;
        _time = time;
        Interval = interval;
        _last = Read();
        _timer = time.CreateTimer(_ => Sample(), null, interval, interval);
    }

    public TimeSpan Interval { get; }

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<ThroughputSample> Samples
    {
        get
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>Takes one sample now (the timer calls this; tests may too).</summary>
    public void Sample()
    {
        lock (_lock)
        {
            var now = Read();
            var seconds = _time.GetElapsedTime(_last.Timestamp, now.Timestamp).TotalSeconds;
            if (seconds <= 0)
            {
                return;
            }

            _samples.Enqueue(new ThroughputSample(
                _time.GetUtcNow(),
                (now.Local - _last.Local) / seconds,
                (now.Peer - _last.Peer) / seconds,
                (now.ObjectStore - _last.ObjectStore) / seconds));
            while (_samples.Count > Capacity)
            {
                _samples.Dequeue();
            }

            _last = now;
        }
    }

    private (long Local, long Peer, long ObjectStore, long Timestamp) Read() =>
        (_counters.LocalHitBytes, _counters.PeerBytes, _counters.ObjectStoreBytes, _time.GetTimestamp());

    public void Dispose() => _timer.Dispose();
}
