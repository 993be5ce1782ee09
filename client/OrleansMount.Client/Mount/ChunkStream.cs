using System.Runtime.ExceptionServices;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>What the silo answered a request to stream a chunk: its location, or the body of a stream (disposing the answer closes it).</summary>
public sealed class ChunkStreamAnswer(ChunkLocation? location, Stream? body, IDisposable? owner = null) : IDisposable
{
    /// <summary>Where the chunk is when the silo does not stream it (stored on this node, or another silo's).</summary>
    public ChunkLocation? Location { get; } = location;

    /// <summary>A <see cref="ChunkStreamFormat"/> body when the silo streams the chunk.</summary>
    public Stream? Body { get; } = body;

    public void Dispose()
    {
        Body?.Dispose();
        owner?.Dispose();
    }
}

/// <summary>A stream of a chunk ended before every block arrived checked: none of the missing bytes may be served from it.</summary>
public sealed class ChunkStreamCutException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One chunk arriving from the local silo while it fills it (decision 0035), shared by every read of the chunk in the
/// mount (<see cref="ChunkStreams"/>): reads wait until the blocks they need arrived and matched their CRC32C, then copy
/// them, so the first read of a cold file returns before the chunk is whole, written and renamed on the silo's disk.
/// A block whose checksum does not match, a body cut short or a wrong whole-chunk checksum ends the stream with
/// <see cref="ChunkStreamCutException"/>: nothing from the bad block on is served, and the reads go to the silo again.
/// The memory is pooled; it returns to the pool when the stream is over and its last reader released it.
/// </summary>
public sealed class ChunkStream
{
    private readonly SharedChunkMemory _memory; // the pump holds the first reference
    private readonly byte[] _buffer;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<ChunkLocation?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _progress;
    private Exception? _error;
    private int _verified;

    public ChunkStream(ChunkId id, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Id = id;
        Length = length;
        _memory = new SharedChunkMemory(length, "the stream", id);
        _buffer = _memory.Buffer;
    }

    public ChunkId Id { get; }

    public int Length { get; }

    /// <summary>
    /// The silo's answer: null when it streams the chunk, else where the chunk is (the reads then go there); faults with
    /// the silo's error (an object changed after import, an unreachable silo) as an ensure would.
    /// </summary>
    public Task<ChunkLocation?> Answer => _answer.Task;

    /// <summary>Completes when the stream is over, whole or not (never faults).</summary>
    public Task Ended => _ended.Task;

    /// <summary>Whether every block arrived and matched.</summary>
    public bool Whole
    {
        get
        {
            lock (_lock)
            {
                return _verified == Length && _error is null;
            }
        }
    }

    /// <summary>
    /// Asks <paramref name="backend"/> for the chunk and reads what it streams; runs once, by whoever created the stream,
    /// and calls <paramref name="ended"/> when the stream is over, before <see cref="Ended"/> completes.
    /// </summary>
    public async Task RunAsync(IMountBackend backend, Grains.Chunks.ChunkRequest request, TimeSpan timeout, Action<ChunkStream>? ended = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        try
        {
            ChunkStreamAnswer answer;
            try
            {
                answer = await backend.StreamChunkAsync(request, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _answer.TrySetException(e);
                Fail(new ChunkStreamCutException($"the silo did not stream chunk {request.Index} of {request.Address}: {e.Message}", e));
                return;
            }

            using (answer)
            {
                _answer.TrySetResult(answer.Location);
                if (answer.Body is null)
                {
                    Fail(new ChunkStreamCutException($"the silo did not stream chunk {request.Index} of {request.Address}"));
                    return;
                }

                using var deadline = new CancellationTokenSource(timeout);
                await PumpAsync(answer.Body, $"chunk {request.Index} of {request.Address}", deadline.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            ended?.Invoke(this);
            _ended.TrySetResult();
            Release();
        }
    }

    /// <summary>Reads a <see cref="ChunkStreamFormat"/> body into the buffer, publishing each block once its checksum matched.</summary>
    public async Task PumpAsync(Stream body, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        _answer.TrySetResult(null);
        try
        {
            var blocks = ChunkStreamFormat.BlockCount(Length);
            var blockCrcs = new uint[blocks];
            var tail = new byte[2 * ChunkStreamFormat.CrcLength];
            for (var block = 0; block < blocks; block++)
            {
                var (start, length) = ChunkStreamFormat.Block(Length, block);
                // A block and its checksum land in place, the checksum over the next block's first bytes (no reader
                // sees them: they are past what was published) but the last block's, which goes with the whole
                // chunk's checksum into a tail of its own.
                var last = block == blocks - 1;
                var frame = _buffer.AsMemory(start, last ? length : length + ChunkStreamFormat.CrcLength);
                await body.ReadExactlyAsync(frame, cancellationToken).ConfigureAwait(false);
                if (last)
                {
                    await body.ReadExactlyAsync(tail, cancellationToken).ConfigureAwait(false);
                }

                var expected = ChunkStreamFormat.ReadCrc(last ? tail : frame.Span[length..]);
                var actual = ChunkChecksum.Compute(frame.Span[..length]);
                if (actual != expected)
                {
                    throw new ChunkStreamCutException($"block {block} of {what} arrived with CRC32C {actual:x8}, sent as {expected:x8}; none of it is served");
                }

                blockCrcs[block] = actual;
                if (last)
                {
                    var whole = ChunkStreamFormat.ReadCrc(tail.AsSpan(ChunkStreamFormat.CrcLength));
                    var computed = ChunkChecksum.Combine(blockCrcs, ChunkStreamFormat.BlockSize, Length); // of the blocks as they arrived
                    if (computed != whole)
                    {
                        throw new ChunkStreamCutException($"{what} arrived with CRC32C {computed:x8}, sent as {whole:x8}");
                    }
                }

                Publish(start + length);
            }
        }
        catch (Exception e)
        {
            Fail(e as ChunkStreamCutException ?? new ChunkStreamCutException($"the stream of {what} ended early: {e.Message}", e));
        }
    }

    /// <summary>
    /// Copies <paramref name="destination"/>'s length of bytes from <paramref name="offset"/> once they arrived checked;
    /// throws <see cref="ChunkStreamCutException"/> when the stream ended before. Call it holding a reference.
    /// </summary>
    public async ValueTask CopyAsync(int offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + destination.Length, Length);
        var end = offset + destination.Length;
        while (true)
        {
            Task more;
            lock (_lock)
            {
                if (_verified >= end)
                {
                    break; // every block published passed its check, even when a later one did not
                }

                if (_error is not null)
                {
                    ExceptionDispatchInfo.Throw(_error);
                }

                _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                more = _progress.Task;
            }

            await more.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _buffer.AsSpan(offset, destination.Length).CopyTo(destination.Span);
    }

    /// <summary>Takes a reference so the memory stays while reading; false once it went back to the pool.</summary>
    public bool TryAcquire() => _memory.TryAcquire();

    /// <summary>Drops a reference; the last one returns the memory to the pool.</summary>
    public void Release() => _memory.Release();

    private void Publish(int verified)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _verified = verified;
            (wake, _progress) = (_progress, null);
        }

        wake?.TrySetResult();
    }

    private void Fail(Exception error)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _error ??= error;
            (wake, _progress) = (_progress, null);
        }

        wake?.TrySetResult();
    }
}
