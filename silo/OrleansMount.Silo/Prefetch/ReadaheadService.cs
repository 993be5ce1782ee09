using System.Collections.Concurrent;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Silo.Prefetch;

/// <summary>
/// Readahead for the node's mounts: a mount that sees sequential reads names the next chunks, and this
/// silo makes them present on the node in the background (routed like any chunk: owned here, near copy,
/// or copied from the owner). At most <see cref="MaxInFlight"/> chunks are in flight for all mounts
/// together; each holds at most one chunk buffer, so that is the node's readahead memory. Requests over
/// the bound are dropped and counted, never queued: by the time a queue drained, the reader would be there.
/// </summary>
public sealed class ReadaheadService(SiloNode node, int maxInFlight, ILogger logger)
{
    private readonly ConcurrentDictionary<ChunkId, bool> _pending = new();
    private long _requests;
    private long _accepted;
    private long _alreadyLocal;
    private long _dropped;
    private long _filled;
    private long _bytesFilled;
    private long _failed;
    private long _fileRequests;
    private long _filesCovered;
    private int _inFlight;

    public int MaxInFlight { get; } = Math.Max(1, maxInFlight);

    public ReadaheadStats Stats() => new(
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _alreadyLocal),
        Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _filled),
        Interlocked.Read(ref _bytesFilled),
        Interlocked.Read(ref _failed),
        Volatile.Read(ref _inFlight),
        MaxInFlight,
        Interlocked.Read(ref _fileRequests),
        Interlocked.Read(ref _filesCovered));

    /// <summary>Starts filling the chunks that are neither on the node nor already in flight, within the bound; returns how many started.</summary>
    public int Submit(IReadOnlyList<ChunkRequest> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        Interlocked.Increment(ref _requests);
        var started = 0;
        foreach (var chunk in chunks)
        {
            if (Offer(chunk) == Outcome.Started)
            {
                started++;
            }
        }

        return started;
    }

    /// <summary>
    /// Readahead across files: the first chunks of the next files of a walk in key order (null for an empty file), in
    /// that order. Stops at the first chunk over the bound, so the files covered are a prefix of the list and the mount's
    /// next request starts where this one stopped; returns the files covered and the chunks started.
    /// </summary>
    public (int Covered, int Started) SubmitFiles(IReadOnlyList<ChunkRequest?> firstChunks)
    {
        ArgumentNullException.ThrowIfNull(firstChunks);
        Interlocked.Increment(ref _fileRequests);
        int covered = 0, started = 0;
        foreach (var chunk in firstChunks)
        {
            var outcome = chunk is null ? Outcome.Present : Offer(chunk);
            if (outcome == Outcome.Dropped)
            {
                break;
            }

            covered++;
            started += outcome == Outcome.Started ? 1 : 0;
        }

        Interlocked.Add(ref _filesCovered, covered);
        return (covered, started);
    }

    private enum Outcome
    {
        Present, // on the node, or already coming
        Started,
        Dropped, // over the bound
    }

    private Outcome Offer(ChunkRequest chunk)
    {
        if (node.Chunks.Contains(chunk.Id))
        {
            Interlocked.Increment(ref _alreadyLocal);
            return Outcome.Present;
        }

        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _dropped);
            return Outcome.Dropped;
        }

        if (!_pending.TryAdd(chunk.Id, true))
        {
            Interlocked.Decrement(ref _inFlight); // already coming
            return Outcome.Present;
        }

        Interlocked.Increment(ref _accepted);
        _ = FillAsync(chunk);
        return Outcome.Started;
    }

    private async Task FillAsync(ChunkRequest chunk)
    {
        try
        {
            await Task.Yield();
            var location = await node.EnsureAsync(chunk, CancellationToken.None).ConfigureAwait(false);
            if (location.Tier != ChunkTier.Local)
            {
                Interlocked.Increment(ref _filled);
                Interlocked.Add(ref _bytesFilled, location.Length);
            }
        }
        catch (Exception e)
        {
            // The reader will ask for the chunk itself and get the error then.
            Interlocked.Increment(ref _failed);
            logger.LogDebug("readahead of chunk {Index} of {Address} failed: {Message}", chunk.Index, chunk.Address, e.Message);
        }
        finally
        {
            _pending.TryRemove(chunk.Id, out _);
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
