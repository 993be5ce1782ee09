using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Native.Fuse;
using OrleansMount.Storage.Chunks;
using OrleansMount.Tests.Fuse;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// The mount's read path over a real <see cref="ChunkStore"/> on disk, without a kernel: chunk files damaged
/// after the mount has read (and still holds open) them are caught on the next read, reported, refilled, and
/// the read returns the object's bytes.
/// </summary>
[UnitTest]
public sealed class ChunkRepairTests : IDisposable
{
    private const int ChunkSize = 256 * 1024;
    private readonly string _root = Directory.CreateTempSubdirectory("om-repair-").FullName;
    private readonly StoreBackend _backend;
    private readonly RecordingReplySink _sink = new();
    private readonly SnapshotFileSystem _fs;

    public ChunkRepairTests()
    {
        _backend = new StoreBackend(new ChunkStore(new ChunkStoreOptions { Directory = _root, CapacityBytes = 1 << 30 }));
        var random = new Random(5);
        foreach (var (name, size) in new[] { ("big.bin", (3 * ChunkSize) + 1234), ("small.bin", 70_000) })
        {
            var data = new byte[size];
            random.NextBytes(data);
            var address = "s3://b/" + name;
            _backend.Data[address] = data;
            _backend.Items.Add(new ListingItem(name, false, size, 0, "e", ObjectIdentity.Compute(address, "e", size).ToString(), address, InodeNumbers.File(_backend.Items.Count)));
        }

        _fs = new SnapshotFileSystem(_backend, new MountOptions { SnapshotName = "s", SourceAddress = "s3://b/" }, NullLogger.Instance, DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task Damage_after_the_first_read_is_caught_on_every_later_read_and_repaired()
    {
        var open = new Dictionary<string, (ulong Ino, ulong Fh)>();
        foreach (var item in _backend.Items)
        {
            var ino = ((FuseEntry)(await _sink.CallAsync(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, item.Name))).Value!).Ino;
            var fh = (ulong)(await _sink.CallAsync(r => _fs.Open(r, ino, 0))).Value!;
            open[item.Name] = (ino, fh);
            Assert.Equal(_backend.Data[item.Address!], await ReadAllAsync(ino, fh, item.Size));
        }

        Assert.Equal(5, _backend.Fills);

        // Damage every kind of way while the handles (and their open chunk files) stay open.
        var files = Directory.EnumerateFiles(Path.Combine(_root, "chunks"), "*.chunk", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(5, files.Count);
        DiskDamage.Flip(files[0], new FileInfo(files[0]).Length / 2);  // the middle of the data
        DiskDamage.Flip(files[1], ChunkFileFormat.FixedHeaderLength + 2); // the block table (checked at open: the open handle still verifies its data)
        DiskDamage.Flip(files[2], new FileInfo(files[2]).Length - 1);   // the last byte
        DiskDamage.ReplaceWith(files[3], files[4]);              // another chunk's file renamed into its place

        foreach (var item in _backend.Items)
        {
            var (ino, fh) = open[item.Name];
            Assert.Equal(_backend.Data[item.Address!], await ReadAllAsync(ino, fh, item.Size));
        }

        // A fresh open of every file reads the repaired cache.
        foreach (var item in _backend.Items)
        {
            var (ino, _) = open[item.Name];
            var fh = (ulong)(await _sink.CallAsync(r => _fs.Open(r, ino, 0))).Value!;
            Assert.Equal(_backend.Data[item.Address!], await ReadAllAsync(ino, fh, item.Size));
        }

        Assert.True(_backend.Store.CorruptionsDetected >= 3, $"{_backend.Store.CorruptionsDetected} damaged chunks detected");
        Assert.Equal(0, _fs.Errors);
        Assert.InRange(_backend.Fills, 5 + 3, 5 + 4); // what was damaged was filled again; the rest was not
    }

    public void Dispose()
    {
        _fs.Dispose();
        _backend.Store.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<byte[]> ReadAllAsync(ulong ino, ulong fh, long size)
    {
        var result = new List<byte>();
        for (long offset = 0; offset < size; offset += 128 * 1024)
        {
            var reply = await _sink.CallAsync(r => _fs.Read(r, ino, fh, offset, 128 * 1024));
            Assert.True(reply.Kind == "data", $"read at {offset}: {reply.Kind} {reply.Value}");
            result.AddRange((byte[])reply.Value!);
        }

        return [.. result];
    }

    /// <summary>A silo in miniature: a real chunk store filled from in-memory objects.</summary>
    private sealed class StoreBackend(ChunkStore store) : IMountBackend
    {
        private int _fills;

        public ChunkStore Store { get; } = store;

        public Dictionary<string, byte[]> Data { get; } = [];

        public List<ListingItem> Items { get; } = [];

        public int Fills => Volatile.Read(ref _fills);

        public int ChunkSize => ChunkRepairTests.ChunkSize;

        public string SnapshotName => "s";

        public string SnapshotId => "id";

        public Task<DirectoryListing> ListAsync(string path, string? after, int limit, CancellationToken cancellationToken) =>
            Task.FromResult(new DirectoryListing("id", path, Items));

        public Task<ListingItem?> LookupAsync(string path, string name, CancellationToken cancellationToken) =>
            Task.FromResult(Items.Find(i => i.Name == name));

        public Task<DirectoryListing> ListFromAsync(string path, string name, int limit, CancellationToken cancellationToken) =>
            Task.FromResult(new DirectoryListing("id", path, [.. Items.Where(i => string.CompareOrdinal(i.Name, name) >= 0).Take(limit)]));

        public async Task<ChunkLocation> EnsureChunkAsync(ChunkRequest request, CancellationToken cancellationToken)
        {
            using (var handle = Store.TryOpen(request.Id, request.Address))
            {
                if (handle is not null)
                {
                    return new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local);
                }
            }

            Interlocked.Increment(ref _fills);
            var cached = await Store.PutAsync(request.Id, Slice(request), cancellationToken);
            return new ChunkLocation(cached, request.Length, 0, ChunkTier.ObjectStore);
        }

        public Task ReadChunkAsync(ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Slice(request).CopyTo(destination);
            return Task.CompletedTask;
        }

        public Task ReportDamagedChunkAsync(ChunkRequest request, CancellationToken cancellationToken)
        {
            Store.Verify(request.Id, request.Address);
            return Task.CompletedTask;
        }

        public string? LocalChunkPath(ChunkId id) => Store.GetChunkPath(id);

        private ReadOnlyMemory<byte> Slice(ChunkRequest request) => Data[request.Address].AsMemory((int)request.Offset, request.Length);
    }
}
