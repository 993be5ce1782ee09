using System.Collections.Concurrent;
using System.Threading.Channels;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Silo.Prefetch;

/// <summary>
/// The owner side of prefetch: fills a job's chunks in the order given, at most the job's concurrency
/// at a time and at most <see cref="Slots"/> for all jobs on this silo together. Chunks already in the
/// store are skipped; the rest go through the chunk's grain, so a chunk is read from the object store
/// at most once however many jobs and mounts ask for it. A cancelled job (its request closed, or
/// <see cref="Cancel"/>) starts no further chunk.
/// </summary>
public sealed class PrefetchWorker
{
    private const int MaxRememberedCancels = 1024;
    private readonly SiloNode _node;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<CancellationTokenSource, bool>> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _cancelOrder = new();
    private readonly ConcurrentDictionary<string, bool> _cancelled = new(StringComparer.Ordinal);
    private long _chunksFetched;
    private long _chunksSkipped;
    private long _chunksFailed;
    private long _bytesFetched;
    private int _activeBatches;

    public PrefetchWorker(SiloNode node, int slots)
    {
        _node = node;
        Slots = slots;
        _slots = new SemaphoreSlim(slots, slots);
    }

    /// <summary>Chunk fills all prefetch jobs together may have in flight on this silo.</summary>
    public int Slots { get; }

    public int SlotsInUse => Slots - _slots.CurrentCount;

    public int ActiveBatches => Volatile.Read(ref _activeBatches);

    public long ChunksFetched => Interlocked.Read(ref _chunksFetched);

    public long ChunksSkipped => Interlocked.Read(ref _chunksSkipped);

    public long ChunksFailed => Interlocked.Read(ref _chunksFailed);

    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    /// <summary>
    /// Fills <paramref name="chunks"/> in order and writes one outcome per finished chunk to <paramref name="results"/>
    /// (completed when done). Cancelled chunks get no outcome. Each chunk goes through the read path (its grain on its
    /// owner, then a copy from the silo holding it).
    /// </summary>
    public async Task RunAsync(string jobId, int concurrency, IReadOnlyList<ChunkRequest> chunks, ChannelWriter<PeerPrefetchOutcome> results, CancellationToken cancellationToken)
    {
        Func<ChunkRequest, CancellationToken, Task<ChunkLocation>> ensure = _node.EnsureAsync;
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(results);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var registered = _running.GetOrAdd(jobId, _ => new ConcurrentDictionary<CancellationTokenSource, bool>());
        registered[cancel] = true;
        if (_cancelled.ContainsKey(jobId))
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }

        var token = cancel.Token;
        using var jobSlots = new SemaphoreSlim(Math.Max(1, concurrency));
        var started = new List<Task>(chunks.Count);
        Interlocked.Increment(ref _activeBatches);
        try
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                await jobSlots.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    await _slots.WaitAsync(token).ConfigureAwait(false);
                }
                catch
                {
                    jobSlots.Release();
                    throw;
                }

                var index = i;
                started.Add(Task.Run(() => OneAsync(index, chunks[index], ensure, results, jobSlots, token), CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // No further chunk starts; those in flight finish or give up below.
        }
        finally
        {
            await Task.WhenAll(started).ConfigureAwait(false);
            Interlocked.Decrement(ref _activeBatches);
            registered.TryRemove(cancel, out _);
            results.TryComplete();
        }
    }

    /// <summary>Cancels a job's batches on this silo, including ones that arrive later.</summary>
    public void Cancel(string jobId)
    {
        if (_cancelled.TryAdd(jobId, true))
        {
            _cancelOrder.Enqueue(jobId);
            while (_cancelOrder.Count > MaxRememberedCancels && _cancelOrder.TryDequeue(out var old))
            {
                _cancelled.TryRemove(old, out _);
            }
        }

        if (_running.TryGetValue(jobId, out var batches))
        {
            foreach (var cancel in batches.Keys)
            {
                try
                {
                    cancel.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Finished meanwhile.
                }
            }
        }
    }

    private async Task OneAsync(int index, ChunkRequest chunk, Func<ChunkRequest, CancellationToken, Task<ChunkLocation>> ensure, ChannelWriter<PeerPrefetchOutcome> results, SemaphoreSlim jobSlots, CancellationToken token)
    {
        PeerPrefetchOutcome? outcome = null;
        try
        {
            token.ThrowIfCancellationRequested();
            if (_node.Chunks.Contains(chunk.Id))
            {
                outcome = new PeerPrefetchOutcome(index, PeerPrefetchOutcome.Skipped, chunk.Length);
            }
            else
            {
                var location = await ensure(chunk, token).ConfigureAwait(false);
                outcome = new PeerPrefetchOutcome(index, location.Tier == ChunkTier.Local ? PeerPrefetchOutcome.Skipped : PeerPrefetchOutcome.Fetched, location.Length);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled: no outcome.
        }
        catch (Exception e)
        {
            outcome = new PeerPrefetchOutcome(index, PeerPrefetchOutcome.Failed, chunk.Length, Reason(e));
        }
        finally
        {
            _slots.Release();
            jobSlots.Release();
        }

        if (outcome is not null)
        {
            Count(outcome);
            results.TryWrite(outcome);
        }
    }

    private void Count(PeerPrefetchOutcome outcome)
    {
        switch (outcome.Outcome)
        {
            case PeerPrefetchOutcome.Fetched:
                Interlocked.Increment(ref _chunksFetched);
                Interlocked.Add(ref _bytesFetched, outcome.Bytes);
                break;
            case PeerPrefetchOutcome.Skipped:
                Interlocked.Increment(ref _chunksSkipped);
                break;
            default:
                Interlocked.Increment(ref _chunksFailed);
                break;
        }
    }

    /// <summary>What a user should read about a chunk that could not be fetched.</summary>
    public static string Reason(Exception e) => e switch
    {
        ObjectChangedException => "the object changed in the bucket after import: " + e.Message,
        ObjectNotFoundException => "the object was deleted from the bucket after import: " + e.Message,
        ObjectStoreException => "object store error: " + e.Message,
        _ => e.Message,
    };
}
