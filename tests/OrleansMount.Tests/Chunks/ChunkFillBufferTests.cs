using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Chunks;

/// <summary>The buffer a chunk fill is streamed to peers from: progress, completion, failure and the memory's lifetime.</summary>
[UnitTest]
public sealed class ChunkFillBufferTests
{
    private static readonly ChunkId Id = new(ObjectIdentity.Compute("s3://b/k", "etag", 1000), 0);

    [Fact]
    public async Task A_reader_waits_for_bytes_and_gets_them_as_they_arrive()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        Assert.False(fill.Started.IsCompleted);
        var waiting = fill.WaitAsync(0, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        Fill(fill, 0, 100);
        fill.Advance(0); // the store answered with the object: started, nothing to read yet
        Assert.True(fill.Started.IsCompletedSuccessfully);
        Assert.False(waiting.IsCompleted);

        fill.Advance(100);
        Assert.Equal(100, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Expected(0, 100), fill.Data[..100].ToArray());

        // More than the position already there: no wait.
        Assert.Equal(100, await fill.WaitAsync(50, CancellationToken.None));
        var next = fill.WaitAsync(100, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        Fill(fill, 100, 1000);
        var crc = ChunkChecksum.Compute(fill.Data.Span);
        Assert.False(fill.Completed.IsCompleted);
        fill.Complete(crc);
        Assert.Equal(1000, await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(crc, await fill.Completed);
        Assert.Equal(1000, await fill.WaitAsync(999, CancellationToken.None));

        Assert.False(fill.Finished.IsCompleted); // the chunk store's write comes after the bytes
        fill.Finish(stored: true);
        Assert.True(await fill.Finished);
    }

    [Fact]
    public void Progress_never_goes_back_when_a_retried_read_writes_the_same_bytes_again()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        fill.Advance(600);
        fill.Advance(0);
        fill.Advance(300);
        Assert.Equal(600, fill.Available);
        fill.Advance(700);
        Assert.Equal(700, fill.Available);
        Assert.Throws<ArgumentOutOfRangeException>(() => fill.Advance(1001));
        Assert.Throws<ArgumentOutOfRangeException>(() => fill.Advance(-1));
    }

    [Fact]
    public async Task A_fill_failing_midway_fails_every_reader_even_one_that_has_all_bytes_so_far()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        fill.Advance(400);
        var waiting = fill.WaitAsync(400, CancellationToken.None).AsTask();
        var crc = fill.Completed;
        var error = new IOException("the response body ended after 400 of 1000 bytes");

        fill.Fail(error);

        Assert.Same(error, await Assert.ThrowsAsync<IOException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10))));
        Assert.Same(error, await Assert.ThrowsAsync<IOException>(async () => await fill.WaitAsync(0, CancellationToken.None)));
        Assert.Same(error, await Assert.ThrowsAsync<IOException>(() => crc));
        await Assert.ThrowsAsync<IOException>(() => fill.Finished);
        Assert.True(fill.Started.IsCompletedSuccessfully); // it had started; what counts is that it never completes
        Assert.Throws<InvalidOperationException>(() => fill.Complete(0));

        // Progress after the failure changes nothing.
        fill.Advance(1000);
        Assert.Equal(400, fill.Available);
    }

    [Fact]
    public async Task A_fill_failing_before_the_store_answered_faults_started()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        fill.Fail(new ObjectChangedException("s3://b/k", "etag", "other"));
        await Assert.ThrowsAsync<ObjectChangedException>(() => fill.Started);
        await Assert.ThrowsAsync<ObjectChangedException>(() => fill.Completed);
    }

    [Fact]
    public async Task A_store_write_failing_after_the_bytes_were_whole_leaves_readers_their_checked_bytes()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        Fill(fill, 0, 1000);
        fill.Complete(ChunkChecksum.Compute(fill.Data.Span));

        fill.Fail(new IOException("catalog write failed"));

        Assert.Equal(ChunkChecksum.Compute(Expected(0, 1000)), await fill.Completed);
        Assert.Equal(1000, await fill.WaitAsync(0, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => fill.Finished);
    }

    [Fact]
    public async Task A_cancelled_reader_stops_waiting_and_others_still_get_the_bytes()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        using var cancel = new CancellationTokenSource();
        var cancelled = fill.WaitAsync(0, cancel.Token).AsTask();
        var other = fill.WaitAsync(0, CancellationToken.None).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        fill.Advance(10);
        Assert.Equal(10, await other.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void The_memory_lives_until_the_writer_and_the_last_reader_released_it()
    {
        var fill = new ChunkFillBuffer(Id, 1000);
        Assert.True(fill.TryAcquire()); // a reader
        fill.Release(); // the writer is done
        Assert.True(fill.TryAcquire()); // still held by the first reader: another may join
        fill.Release();
        fill.Release(); // the last one
        Assert.False(fill.TryAcquire());
        Assert.Throws<InvalidOperationException>(fill.Release);
    }

    [Fact]
    public async Task Readers_copying_while_a_writer_advances_in_uneven_steps_get_exactly_the_chunk()
    {
        const int length = 4 << 20;
        var source = new byte[length];
        new Random(5).NextBytes(source);
        for (var round = 0; round < 5; round++)
        {
            var fill = new ChunkFillBuffer(Id, length);
            var readers = new List<Task<byte[]>>();
            for (var r = 0; r < 3; r++)
            {
                Assert.True(fill.TryAcquire()); // before the writer may release: as the data endpoint does while the fill is listed
                readers.Add(Task.Run(ReadAllAsync));
            }

            async Task<byte[]> ReadAllAsync()
            {
                try
                {
                    var copy = new byte[length];
                    for (var at = 0; at < length;)
                    {
                        var available = await fill.WaitAsync(at, CancellationToken.None);
                        fill.Data[at..available].CopyTo(copy.AsMemory(at));
                        at = available;
                    }

                    Assert.Equal(ChunkChecksum.Compute(copy), await fill.Completed);
                    return copy;
                }
                finally
                {
                    fill.Release();
                }
            }

            var random = new Random(round);
            await Task.Run(() =>
            {
                for (var at = 0; at < length;)
                {
                    var step = Math.Min(length - at, random.Next(1, 200_000));
                    source.AsSpan(at, step).CopyTo(fill.Destination.Span[at..]);
                    at += step;
                    fill.Advance(at);
                }

                fill.Complete(ChunkChecksum.Compute(source));
                fill.Release();
            });

            foreach (var reader in readers)
            {
                var copy = await reader.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(source.AsSpan().SequenceEqual(copy), "a reader's copy differs from the chunk");
            }
        }
    }

    [Fact]
    public void The_writer_takes_each_blocks_checksum_as_it_arrives_and_a_later_change_to_the_buffer_does_not_alter_it()
    {
        var length = (2 * ChunkFillBuffer.BlockSize) + 100;
        var fill = new ChunkFillBuffer(Id, length);
        var source = new byte[length];
        new Random(5).NextBytes(source);
        source.AsSpan(0, ChunkFillBuffer.BlockSize + 10).CopyTo(fill.Destination.Span);
        fill.Advance(ChunkFillBuffer.BlockSize + 10);
        Assert.Equal(ChunkChecksum.Compute(source.AsSpan(0, ChunkFillBuffer.BlockSize)), fill.BlockCrc(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => fill.BlockCrc(1)); // not whole yet
        Assert.Throws<InvalidOperationException>(() => fill.BlockCrcs); // the file's table only once every block is in

        // Bytes changed in memory after their block arrived (what a buffer returned to the pool too early would see):
        // the block's checksum still says what arrived, so a reader sending both lets its receiver see the difference.
        fill.Destination.Span[5] ^= 0xff;
        Assert.NotEqual(ChunkChecksum.Compute(fill.Data.Span[..ChunkFillBuffer.BlockSize]), fill.BlockCrc(0));

        source.AsSpan(ChunkFillBuffer.BlockSize + 10).CopyTo(fill.Destination.Span[(ChunkFillBuffer.BlockSize + 10)..]);
        fill.Complete(ChunkChecksum.Compute(source)); // the last two blocks, the short one included, without an Advance
        Assert.Equal(ChunkChecksum.Compute(source.AsSpan(ChunkFillBuffer.BlockSize, ChunkFillBuffer.BlockSize)), fill.BlockCrc(1));
        Assert.Equal(ChunkChecksum.Compute(source.AsSpan(2 * ChunkFillBuffer.BlockSize)), fill.BlockCrc(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => fill.BlockCrc(3));

        // What the chunk file's block table gets: the checksums of what arrived, so the change above fails block 0's check
        // when the file is read, where checksums taken at the disk write would have vouched for the changed bytes.
        Assert.Equal(
            new[] { ChunkChecksum.Compute(source.AsSpan(0, ChunkFillBuffer.BlockSize)), fill.BlockCrc(1), fill.BlockCrc(2) },
            fill.BlockCrcs.ToArray());
    }

    private static void Fill(ChunkFillBuffer fill, int from, int to) => Expected(from, to).CopyTo(fill.Destination[from..to]);

    private static byte[] Expected(int from, int to) => [.. Enumerable.Range(from, to - from).Select(i => (byte)(i * 7))];
}
