using System.Runtime.ExceptionServices;
using OrleansMount.Core;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// A chunk being filled from the object store, readable while it fills, so a peer gets its bytes as they arrive
/// instead of after the owner's whole fill (object-store read, checksum, disk write and rename). One writer, the
/// fill, and any number of readers:
/// <list type="bullet">
/// <item>The writer puts the bytes into <see cref="Destination"/> and says with <see cref="Advance"/> how many at the
/// start are the object's (never fewer than before: a retried object-store read writes the same bytes again), then
/// <see cref="Complete"/> with the CRC32C of the whole chunk, or <see cref="Fail"/>; and <see cref="Finish"/> once the
/// chunk is in the chunk store (or could not be stored).</item>
/// <item>The writer also takes the CRC32C of each <see cref="BlockSize"/> block as it arrives, before readers can
/// see it (<see cref="BlockCrc"/>): a reader that serves blocks before the whole chunk is there (a mount's stream,
/// <see cref="ChunkStreamFormat"/>) sends each with the checksum of the bytes the object store sent.</item>
/// <item>A reader holds a reference (<see cref="TryAcquire"/>, <see cref="Release"/>) while it reads
/// <see cref="Data"/>, and waits for more with <see cref="WaitAsync"/>. It has the chunk only once
/// <see cref="Completed"/> gave it the CRC32C: a fill that fails midway faults every wait and <see cref="Completed"/>,
/// so no reader ever ends with part of a chunk taken for all of it.</item>
/// </list>
/// The memory is pooled and goes back to the pool when the writer and the last reader have released it.
/// </summary>
public sealed class ChunkFillBuffer
{
    private readonly SharedChunkMemory _memory; // the writer holds the first reference
    private readonly byte[] _buffer;
    private readonly uint[] _blockCrcs;
    private int _checkedBlocks; // the writer's: blocks whose CRC32C is in _blockCrcs
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<uint> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _progress;
    private Exception? _error;
    private int _available;

    /// <summary>A buffer for chunk <paramref name="id"/> of <paramref name="length"/> bytes; the caller holds its first reference (the writer's).</summary>
    public ChunkFillBuffer(ChunkId id, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Id = id;
        Length = length;
        _memory = new SharedChunkMemory(length, "the fill buffer", id);
        _buffer = _memory.Buffer;
        _blockCrcs = new uint[ChunkFileFormat.BlockCount(length, BlockSize)];
    }

    /// <summary>The size of the blocks whose CRC32C the writer takes as they arrive (the last one may be shorter).</summary>
    public const int BlockSize = ChunkStreamFormat.BlockSize;

    public ChunkId Id { get; }

    public int Length { get; }

    /// <summary>The fill writing this buffer (set by <see cref="ChunkFill"/> as it starts it): where the chunk is once stored, or the fill's error.</summary>
    public Task<ChunkLocation> Fill { get; internal set; } = null!;

    /// <summary>Where the writer puts the chunk's bytes.</summary>
    public Memory<byte> Destination => _buffer.AsMemory(0, Length);

    /// <summary>The chunk's bytes as far as they arrived (<see cref="Available"/>); read only while holding a reference.</summary>
    public ReadOnlyMemory<byte> Data => _buffer.AsMemory(0, Length);

    /// <summary>How many bytes at the start of <see cref="Data"/> are the object's.</summary>
    public int Available
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>Completes when the object store has answered with the right object (the first <see cref="Advance"/>); faults when the fill failed before.</summary>
    public Task Started => _started.Task;

    /// <summary>The CRC32C of the whole chunk, once every byte is there; faults when the fill failed.</summary>
    public Task<uint> Completed => _completed.Task;

    /// <summary>Whether the chunk was stored in the chunk store, once the fill is over; faults when it failed.</summary>
    public Task<bool> Finished => _finished.Task;

    /// <summary>The writer: the first <paramref name="available"/> bytes of <see cref="Destination"/> are the object's.</summary>
    public void Advance(int available)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(available);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(available, Length);
        CheckBlocks(available);
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            if (_error is not null || _completed.Task.IsCompleted)
            {
                return;
            }

            if (available > _available)
            {
                _available = available;
                (wake, _progress) = (_progress, null);
            }
        }

        _started.TrySetResult();
        wake?.TrySetResult();
    }

    /// <summary>
    /// The writer: every byte is there; returns the whole chunk's CRC32C, derived from the checksums its blocks had when
    /// they arrived (no second pass over the bytes, and bytes changed in memory since fail the check of whoever gets them).
    /// </summary>
    public uint Complete()
    {
        CheckBlocks(Length);
        var crc = ChunkChecksum.Combine(_blockCrcs, BlockSize, Length);
        Complete(crc);
        return crc;
    }

    /// <summary>The writer: every byte is there and their CRC32C is <paramref name="crc32C"/>.</summary>
    public void Complete(uint crc32C)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            if (_error is not null)
            {
                throw new InvalidOperationException($"the fill of chunk {Id} failed already");
            }
        }

        CheckBlocks(Length);
        lock (_lock)
        {

            _available = Length;
            (wake, _progress) = (_progress, null);
        }

        _started.TrySetResult();
        _completed.TrySetResult(crc32C);
        wake?.TrySetResult();
    }

    /// <summary>
    /// The CRC32C of block <paramref name="block"/> (<see cref="BlockSize"/> bytes from <c>block * BlockSize</c>, the
    /// last one shorter), taken by the writer as it arrived; there once <see cref="Available"/> covers the block.
    /// </summary>
    public uint BlockCrc(int block)
    {
        lock (_lock)
        {
            var end = Math.Min(Length, (block + 1) * BlockSize);
            if (block < 0 || block >= _blockCrcs.Length || _available < end)
            {
                throw new ArgumentOutOfRangeException(nameof(block), block, $"block {block} of chunk {Id} has not arrived ({_available} of {Length} bytes)");
            }

            return _blockCrcs[block];
        }
    }

    /// <summary>
    /// The writer, once it called <see cref="Complete()"/>: the CRC32C of every block as it arrived, for the chunk file's
    /// block table (<see cref="ChunkStore.PutAsync(ChunkId, ReadOnlyMemory{byte}, uint, Core.Caching.ChunkOrigin, CancellationToken, ReadOnlyMemory{uint})"/>).
    /// </summary>
    public ReadOnlyMemory<uint> BlockCrcs => _checkedBlocks == _blockCrcs.Length
        ? _blockCrcs
        : throw new InvalidOperationException($"the fill of chunk {Id} has not completed ({_checkedBlocks} of {_blockCrcs.Length} blocks checked)");

    /// <summary>The writer: the checksum of each block wholly within the first <paramref name="available"/> bytes, not taken yet.</summary>
    private void CheckBlocks(int available)
    {
        while (_checkedBlocks < _blockCrcs.Length)
        {
            var start = _checkedBlocks * BlockSize;
            var end = Math.Min(Length, start + BlockSize);
            if (end > available)
            {
                return;
            }

            _blockCrcs[_checkedBlocks] = ChunkChecksum.Compute(_buffer.AsSpan(start, end - start));
            _checkedBlocks++;
        }
    }

    /// <summary>The writer: the chunk is in the chunk store (<paramref name="stored"/>) or could not be stored.</summary>
    public void Finish(bool stored) => _finished.TrySetResult(stored);

    /// <summary>
    /// The writer: the fill failed. Before <see cref="Complete"/>, every reader's wait fails with <paramref name="error"/>;
    /// after it (the bytes were whole and checked, only storing them failed), only <see cref="Finished"/> does.
    /// </summary>
    public void Fail(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            if (!_completed.Task.IsCompleted)
            {
                _error = error;
                (wake, _progress) = (_progress, null);
            }
        }

        if (_error is not null)
        {
            Fault(_started, error);
            Fault(_completed, error);
        }

        Fault(_finished, error);
        wake?.TrySetResult();
    }

    /// <summary>
    /// Waits until more than <paramref name="position"/> bytes are there (or all of them); returns how many are. Throws the
    /// fill's error if it failed before completing.
    /// </summary>
    public async ValueTask<int> WaitAsync(int position, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task more;
            lock (_lock)
            {
                if (_error is not null)
                {
                    ExceptionDispatchInfo.Throw(_error);
                }

                if (_available > position || _available == Length)
                {
                    return _available;
                }

                _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                more = _progress.Task;
            }

            await more.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A reader: takes a reference so the memory stays; false when the fill is over and its memory gone.</summary>
    public bool TryAcquire() => _memory.TryAcquire();

    /// <summary>Drops a reference (the writer's or a reader's); the last one returns the memory to the pool.</summary>
    public void Release() => _memory.Release();

    private static void Fault(TaskCompletionSource source, Exception error)
    {
        if (source.TrySetException(error))
        {
            _ = source.Task.Exception; // observed: nobody need wait on it
        }
    }

    private static void Fault<T>(TaskCompletionSource<T> source, Exception error)
    {
        if (source.TrySetException(error))
        {
            _ = source.Task.Exception;
        }
    }
}
