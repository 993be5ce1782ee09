using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>
/// A mount's readahead: each open file's <see cref="SequentialDetector"/> names chunks to fetch ahead; the
/// ones not yet on this node's disk are handed to the local silo, which fetches them in the background
/// within its node-wide memory bound (its <c>readahead</c> counters). This mount keeps at most
/// <see cref="MaxCallsInFlight"/> such calls open; more are dropped, never queued.
/// </summary>
public sealed class Readahead(IMountBackend backend, int window, ILogger logger)
{
    public const int MaxCallsInFlight = 4;
    private int _callsInFlight;
    private long _triggers;
    private long _chunksRequested;
    private long _dropped;

    /// <summary>Chunks fetched ahead of the one being read, per open file; 0 disables readahead.</summary>
    public int Window { get; } = window;

    /// <summary>Times a sequential reader triggered readahead of at least one chunk not on the node.</summary>
    public long Triggers => Interlocked.Read(ref _triggers);

    public long ChunksRequested => Interlocked.Read(ref _chunksRequested);

    /// <summary>Triggers dropped because <see cref="MaxCallsInFlight"/> calls were open.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public SequentialDetector? CreateDetector(long fileSize) => Window > 0 ? new SequentialDetector(fileSize, backend.ChunkSize, Window) : null;

    /// <summary>Called for every read of an open file; fetches ahead when the file is read sequentially.</summary>
    internal void OnRead(OpenFile file, long offset, int length)
    {
        if (file.Detector?.OnRead(offset, length) is not { } ahead)
        {
            return;
        }

        var chunks = new List<ChunkRequest>(ahead.To - ahead.From + 1);
        for (var index = ahead.From; index <= ahead.To; index++)
        {
            var request = file.Request(index, backend.ChunkSize, backend.SnapshotName, backend.SnapshotId);
            if (backend.LocalChunkPath(request.Id) is not { } path || !File.Exists(path))
            {
                chunks.Add(request);
            }
        }

        if (chunks.Count == 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _callsInFlight) > MaxCallsInFlight)
        {
            Interlocked.Decrement(ref _callsInFlight);
            Interlocked.Increment(ref _dropped);
            return;
        }

        Interlocked.Increment(ref _triggers);
        Interlocked.Add(ref _chunksRequested, chunks.Count);
        _ = SendAsync(file, chunks);
    }

    private async Task SendAsync(OpenFile file, List<ChunkRequest> chunks)
    {
        try
        {
            await backend.ReadaheadAsync(chunks, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Readahead is a hint: the reader asks for each chunk itself and reports errors then.
            logger.LogDebug("readahead of chunks {From}-{To} of {Address} failed: {Message}", chunks[0].Index, chunks[^1].Index, file.Address, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _callsInFlight);
        }
    }
}
