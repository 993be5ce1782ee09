using OrleansMount.Client.Mount;

namespace OrleansMount.Tests.Mount;

/// <summary>The mount's sequential-read detector, without a kernel: what triggers readahead and what does not.</summary>
[UnitTest]
public sealed class SequentialDetectorTests
{
    private const int Chunk = 4 * 1024 * 1024;
    private const int Read = 128 * 1024;

    [Fact]
    public void Sequential_reads_fetch_each_chunk_ahead_once_within_the_window_and_never_past_the_end()
    {
        var size = (10L * Chunk) + 5;
        var detector = new SequentialDetector(size, Chunk, window: 3);
        var requested = new List<int>();
        for (long offset = 0; offset < size; offset += Read)
        {
            if (detector.OnRead(offset, (int)Math.Min(Read, size - offset)) is { } ahead)
            {
                Assert.True(ahead.From <= ahead.To);
                Assert.True(ahead.To - (int)(offset / Chunk) <= 3, $"chunk {ahead.To} is more than 3 ahead of offset {offset}");
                requested.AddRange(Enumerable.Range(ahead.From, ahead.To - ahead.From + 1));
            }

            if (offset == 3 * Read)
            {
                Assert.Equal([1, 2, 3], requested); // the third read in a row
            }
        }

        Assert.Equal(Enumerable.Range(1, 10), requested); // chunks 1..10 (the last holds 5 bytes), each once
    }

    [Fact]
    public void The_chunks_named_ahead_stay_known_after_a_random_read_ends_the_run()
    {
        var detector = new SequentialDetector(100L * Chunk, Chunk, window: 4);
        Assert.False(detector.FetchingAhead(1)); // nothing named yet: a cold chunk streams (decision 0035)
        for (var i = 0; i < 4; i++)
        {
            detector.OnRead(i * Read, Read);
        }

        Assert.True(detector.FetchingAhead(1));
        Assert.True(detector.FetchingAhead(4));
        Assert.False(detector.FetchingAhead(5));
        detector.OnRead(50L * Chunk, Read); // a jump: the run is over, not the fills it started
        Assert.True(detector.FetchingAhead(4));
        Assert.False(detector.FetchingAhead(5));
    }

    [Fact]
    public void Reads_slightly_out_of_order_still_count_as_sequential()
    {
        var detector = new SequentialDetector(100L * Chunk, Chunk, window: 2);
        Assert.Null(detector.OnRead(0, Read));
        Assert.Null(detector.OnRead(2 * Read, Read)); // arrived before the one at Read
        Assert.Null(detector.OnRead(Read, Read));
        Assert.Equal((1, 2), detector.OnRead(3 * Read, Read));
    }

    [Fact]
    public void Random_reads_never_trigger_and_a_seek_restarts_the_streak()
    {
        var size = 1L << 30;
        var detector = new SequentialDetector(size, Chunk, window: 4);
        var random = new Random(3);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Null(detector.OnRead(random.NextInt64(0, size - 4096) & ~4095L, 4096));
        }

        // Sequential after a seek: three reads in a row again before anything is due.
        var at = 500L * Read;
        Assert.Null(detector.OnRead(at, Read));
        Assert.Null(detector.OnRead(at + Read, Read));
        Assert.Null(detector.OnRead(at + (2 * Read), Read));
        Assert.NotNull(detector.OnRead(at + (3 * Read), Read));
        Assert.Null(detector.OnRead(0, Read));
    }
}
