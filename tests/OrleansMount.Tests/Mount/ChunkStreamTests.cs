using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// Decision 0035, the mount's side: a chunk streamed by the silo is served block by block once each block's checksum
/// matched; a bad block, a short body or a wrong whole-chunk checksum ends the stream without serving what did not
/// pass; the mount's streams are one per chunk and bounded in memory. (The silo's side and the kernel mount:
/// MountStreamTests.)
/// </summary>
[UnitTest]
public sealed class ChunkStreamTests
{
    private const int Block = ChunkStreamFormat.BlockSize;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Reads_get_each_block_once_it_arrived_checked_before_the_chunk_is_whole()
    {
        var chunk = Chunk((2 * Block) + 300, seed: 1);
        var frames = Frames(chunk);
        var pipe = new Pipe();
        var stream = new ChunkStream(IdOf(chunk.Length), chunk.Length);
        var pump = stream.PumpAsync(pipe.Reader.AsStream(), "chunk 0 of test", CancellationToken.None);
        Assert.Null(await stream.Answer);

        var inFirst = new byte[100];
        var pendingFirst = stream.CopyAsync(Block - 100, inFirst).AsTask();
        var inSecond = new byte[10];
        var pendingSecond = stream.CopyAsync(Block, inSecond).AsTask();
        await pipe.Writer.WriteAsync(frames.AsMemory(0, Block)); // the block without its checksum: not served yet
        await Task.Delay(50);
        Assert.False(pendingFirst.IsCompleted);

        await pipe.Writer.WriteAsync(frames.AsMemory(Block, ChunkStreamFormat.CrcLength + 7));
        await pendingFirst.WaitAsync(Wait);
        Assert.Equal(chunk[(Block - 100)..Block], inFirst);
        Assert.False(pendingSecond.IsCompleted);
        Assert.False(stream.Whole);

        await pipe.Writer.WriteAsync(frames.AsMemory(Block + ChunkStreamFormat.CrcLength + 7));
        await pipe.Writer.CompleteAsync();
        await pendingSecond.WaitAsync(Wait);
        Assert.Equal(chunk[Block..(Block + 10)], inSecond);
        await pump.WaitAsync(Wait);
        Assert.True(stream.Whole);
        var all = new byte[chunk.Length];
        await stream.CopyAsync(0, all);
        Assert.Equal(chunk, all);
    }

    [Fact]
    public async Task A_block_that_fails_its_checksum_is_never_served_and_ends_the_stream_for_every_read_after_it()
    {
        var chunk = Chunk((3 * Block) + 1, seed: 2);
        var frames = Frames(chunk);
        frames[Block + ChunkStreamFormat.CrcLength + 5] ^= 0x01; // one bit of block 1, in transit
        var stream = new ChunkStream(IdOf(chunk.Length), chunk.Length);
        var waiting = stream.CopyAsync(Block, new byte[10]).AsTask();

        await stream.PumpAsync(new MemoryStream(frames), "chunk 0 of test", CancellationToken.None);

        var cut = await Assert.ThrowsAsync<ChunkStreamCutException>(() => waiting.WaitAsync(Wait));
        Assert.Contains("block 1 of chunk 0 of test arrived with CRC32C", cut.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ChunkStreamCutException>(() => stream.CopyAsync((3 * Block) - 1, new byte[2]).AsTask());
        Assert.False(stream.Whole);
        var first = new byte[Block]; // block 0 passed before the bad one arrived: still served
        await stream.CopyAsync(0, first);
        Assert.Equal(chunk[..Block], first);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("whole checksum")]
    public async Task A_body_cut_short_or_a_wrong_whole_chunk_checksum_ends_the_stream_unserved(string damage)
    {
        var chunk = Chunk(Block + 500, seed: 3);
        var frames = Frames(chunk);
        if (damage == "short")
        {
            frames = frames[..^9]; // the last block's tail, its checksum and the whole chunk's
        }
        else
        {
            frames[^1] ^= 0x80;
        }

        var stream = new ChunkStream(IdOf(chunk.Length), chunk.Length);
        await stream.PumpAsync(new MemoryStream(frames), "chunk 0 of test", CancellationToken.None);

        var cut = await Assert.ThrowsAsync<ChunkStreamCutException>(() => stream.CopyAsync(Block, new byte[500]).AsTask());
        Assert.Contains(damage == "short" ? "ended early" : "arrived with CRC32C", cut.Message, StringComparison.Ordinal);
        Assert.False(stream.Whole);
    }

    [Fact]
    public async Task Reads_of_one_chunk_share_one_stream_a_whole_one_stays_a_moment_and_the_budget_bounds_the_memory()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var streams = new ChunkStreams(budget: 3 * Block, time);
        var backend = new StreamingBackend();
        var a = Request("a", 2 * Block);
        var b = Request("b", 2 * Block);

        var first = streams.JoinOrStart(backend, a, Wait)!;
        var second = streams.JoinOrStart(backend, a, Wait)!;
        Assert.Same(first, second);
        Assert.Same(first, streams.TryJoin(a.Id));
        Assert.Null(streams.JoinOrStart(backend, b, Wait)); // 4 blocks would exceed the budget of 3 while a runs
        Assert.Equal((1L, 1L), streams.Counts);

        var chunk = Chunk(a.Length, seed: 4);
        await backend.Send(a, Frames(chunk));
        await first.Ended.WaitAsync(Wait);
        Assert.True(first.Whole);
        var copy = new byte[a.Length];
        await second.CopyAsync(0, copy);
        Assert.Equal(chunk, copy);
        foreach (var held in new[] { first, second, streams.TryJoin(a.Id)! })
        {
            held.Release();
        }

        // Ended whole: joinable for KeepFor (the silo is writing the chunk file), then not; and a new chunk's stream
        // takes its memory.
        time.Advance(ChunkStreams.KeepFor / 2);
        var kept = streams.TryJoin(a.Id);
        Assert.NotNull(kept);
        kept.Release();
        time.Advance(ChunkStreams.KeepFor);
        Assert.Null(streams.TryJoin(a.Id));
        var other = streams.JoinOrStart(backend, b, Wait);
        Assert.NotNull(other);
        Assert.Equal(2L * Block, streams.Bytes);

        // A stream cut short is forgotten at once: the next read starts another.
        await backend.Send(b, Frames(Chunk(b.Length, seed: 5))[..100]);
        await other.Ended.WaitAsync(Wait);
        Assert.False(other.Whole);
        other.Release();
        Assert.Null(streams.TryJoin(b.Id));
        Assert.Equal(0, streams.Bytes);
        Assert.Equal(2, backend.Calls);
    }

    [Fact]
    public async Task Streams_kept_past_their_moment_are_dropped_when_the_next_starts_under_the_budget_too_and_the_oldest_go_first_over_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var streams = new ChunkStreams(budget: 3 * Block, time);
        var backend = new StreamingBackend();
        async Task EndWhole(ChunkRequest request)
        {
            var stream = streams.JoinOrStart(backend, request, Wait)!;
            await backend.Send(request, Frames(Chunk(request.Length, seed: request.Address.Length)));
            await stream.Ended.WaitAsync(Wait);
            stream.Release();
        }

        var a = Request("a", Block);
        var b = Request("bb", Block);
        await EndWhole(a);
        time.Advance(ChunkStreams.KeepFor / 2);
        await EndWhole(b);
        Assert.Equal(2L * Block, streams.Bytes);

        // Under the budget: a, kept past KeepFor, is dropped as c starts (its memory back to the pool); b is still kept.
        time.Advance((ChunkStreams.KeepFor / 2) + TimeSpan.FromMilliseconds(1));
        var c = Request("ccc", Block);
        await EndWhole(c);
        Assert.Null(streams.TryJoin(a.Id));
        Assert.Equal(2L * Block, streams.Bytes);

        // Over it: d needs 2 blocks beside b and c (3 allowed), so the one that ended first, b, goes; c stays joinable.
        var d = streams.JoinOrStart(backend, Request("dddd", 2 * Block), Wait);
        Assert.NotNull(d);
        Assert.Null(streams.TryJoin(b.Id));
        var kept = streams.TryJoin(c.Id);
        Assert.NotNull(kept);
        kept.Release();
        Assert.Equal(3L * Block, streams.Bytes);
        d.Release();
    }

    [Fact]
    public async Task A_silo_that_does_not_stream_the_chunk_answers_its_location_and_its_error_is_the_reads()
    {
        var streams = new ChunkStreams(budget: 64 * Block);
        var backend = new StreamingBackend();
        var stored = Request("stored", Block);
        var located = streams.JoinOrStart(backend, stored, Wait)!;
        backend.Answer(stored, new ChunkLocation(true, Block, 7, ChunkTier.Local));
        Assert.Equal(ChunkTier.Local, (await located.Answer.WaitAsync(Wait))!.Tier);
        await located.Ended.WaitAsync(Wait);
        located.Release();
        Assert.Null(streams.TryJoin(stored.Id)); // not a stream: nothing to join

        var changed = Request("changed", Block);
        var failing = streams.JoinOrStart(backend, changed, Wait)!;
        backend.Fail(changed, new SiloException("the object changed in the bucket after import", SiloError.ObjectChanged));
        var error = await Assert.ThrowsAsync<SiloException>(() => failing.Answer.WaitAsync(Wait));
        Assert.Equal(SiloError.ObjectChanged, error.Kind);
        failing.Release();
    }

    private static ChunkRequest Request(string key, int length) =>
        new($"s3://bucket/{key}", "etag", length, 0, 4 * 1024 * 1024, "snap", "id");

    private static ChunkId IdOf(int length) => new(ObjectIdentity.Compute("s3://bucket/k", "etag", length), 0);

    private static byte[] Chunk(int length, int seed)
    {
        var chunk = new byte[length];
        new Random(seed).NextBytes(chunk);
        return chunk;
    }

    /// <summary>A <see cref="ChunkStreamFormat"/> body, as the silo writes it (tested against the silo by MountStreamTests).</summary>
    private static byte[] Frames(byte[] chunk)
    {
        var body = new byte[ChunkStreamFormat.BodyLength(chunk.Length)];
        var at = 0;
        for (var block = 0; block < ChunkStreamFormat.BlockCount(chunk.Length); block++)
        {
            var (start, length) = ChunkStreamFormat.Block(chunk.Length, block);
            chunk.AsSpan(start, length).CopyTo(body.AsSpan(at));
            ChunkStreamFormat.WriteCrc(body.AsSpan(at + length), ChunkChecksum.Compute(chunk.AsSpan(start, length)));
            at += length + ChunkStreamFormat.CrcLength;
        }

        ChunkStreamFormat.WriteCrc(body.AsSpan(at), ChunkChecksum.Compute(chunk));
        return body;
    }

    /// <summary>Answers each chunk's stream request when the test says: a body, a location or an error.</summary>
    private sealed class StreamingBackend : IMountBackend
    {
        private readonly Dictionary<ChunkId, TaskCompletionSource<ChunkStreamAnswer>> _answers = [];
        private readonly Lock _lock = new();

        public int Calls { get; private set; }

        public int ChunkSize => 4 * 1024 * 1024;

        public string SnapshotName => "snap";

        public string SnapshotId => "id";

        public Task<ChunkStreamAnswer> StreamChunkAsync(ChunkRequest request, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                Calls++;
                return Pending(request).Task;
            }
        }

        public async Task Send(ChunkRequest request, byte[] body)
        {
            var pipe = new Pipe();
            Complete(request, answer => answer.TrySetResult(new ChunkStreamAnswer(null, pipe.Reader.AsStream())));
            await pipe.Writer.WriteAsync(body);
            await pipe.Writer.CompleteAsync();
        }

        public void Answer(ChunkRequest request, ChunkLocation location) => Complete(request, answer => answer.TrySetResult(new ChunkStreamAnswer(location, null)));

        public void Fail(ChunkRequest request, Exception error) => Complete(request, answer => answer.TrySetException(error));

        private void Complete(ChunkRequest request, Action<TaskCompletionSource<ChunkStreamAnswer>> complete)
        {
            lock (_lock)
            {
                complete(Pending(request));
            }
        }

        private TaskCompletionSource<ChunkStreamAnswer> Pending(ChunkRequest request)
        {
            if (!_answers.TryGetValue(request.Id, out var answer))
            {
                _answers[request.Id] = answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return answer;
        }

        public Task<DirectoryListing> ListAsync(string path, string? after, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DirectoryListing> ListFromAsync(string path, string name, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ListingItem?> LookupAsync(string path, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ChunkLocation> EnsureChunkAsync(ChunkRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ReadChunkAsync(ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken) => throw new NotSupportedException();

        public string? LocalChunkPath(ChunkId id) => null;
    }
}
