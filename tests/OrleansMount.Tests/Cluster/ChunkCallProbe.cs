using System.Collections.Concurrent;
using OrleansMount.Grains.Chunks;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// A silo's incoming-call filter that counts <see cref="IChunkGrain.EnsureAsync"/> calls as they reach an activation
/// on this silo, so a test can wait until a given number of calls are inside one chunk grain at once.
/// </summary>
public sealed class ChunkCallProbe : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, Arrivals> _arrivals = new(StringComparer.Ordinal);

    /// <summary>Completes when <paramref name="calls"/> EnsureAsync calls have reached the grain <paramref name="grainKey"/> here.</summary>
    public Task Arrived(string grainKey, int calls) => For(grainKey).Expect(calls);

    /// <summary>EnsureAsync calls that reached the grain <paramref name="grainKey"/> on this silo so far.</summary>
    public int ArrivalsAt(string grainKey) => For(grainKey).Count;

    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.InterfaceMethod?.Name == nameof(IChunkGrain.EnsureAsync))
        {
            For(context.TargetId.Key.ToString()!).Add();
        }

        return context.Invoke();
    }

    private Arrivals For(string grainKey) => _arrivals.GetOrAdd(grainKey, _ => new Arrivals());

    private sealed class Arrivals
    {
        private readonly Lock _lock = new();
        private readonly List<(int Calls, TaskCompletionSource Done)> _waiters = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add()
        {
            lock (_lock)
            {
                _count++;
                foreach (var waiter in _waiters.Where(w => w.Calls <= _count))
                {
                    waiter.Done.TrySetResult();
                }
            }
        }

        public Task Expect(int calls)
        {
            lock (_lock)
            {
                if (_count >= calls)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((calls, done));
                return done.Task;
            }
        }
    }
}
