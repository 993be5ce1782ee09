using OrleansMount.Storage.Chunks;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Reliability;

/// <summary>
/// The first promise under a rotting cache disk, with real silos and kernel mounts: chunk files are damaged
/// while everything runs and after the mount has already read (and holds open) them, the page cache is
/// dropped, and every byte read again through the same mount must be the object's. Damage is counted and the
/// cache heals (the damaged chunks are filled again).
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ChunkIntegrityTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-integrity-")
{
    private static readonly string[] Names = ["node-a", "node-b", "node-c"];

    [Fact]
    public async Task Chunk_files_damaged_every_way_under_a_running_mount_are_never_served_and_are_refilled()
    {
        // 1 MiB chunks: the larger files have a first, middle and last chunk.
        var (catalog, files) = await SeedAndImportAsync("rot", "rot", 12, 200_000, (3 * MiB) + 5000, i => $"d{i % 2}/f-{i:D2}.bin");
        var cache = Temp.Sub("cache");
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, cache, socket, ["--chunk-size", "1MiB"]);
        var mnt = Temp.Sub("mnt");
        await MountAsync("rot", mnt, socket, Path.Combine(Temp.Path, "mount.log"));
        using var held = new HeldOpen(mnt, files.Keys); // the mount keeps these files' chunk files open
        await AssertAllExactAsync(mnt, files);
        await FillsStoredAsync(silo);

        var chunks = ChunkFiles(cache);
        Assert.True(chunks.Count >= 10, $"{chunks.Count} chunk files");
        var before = await silo.StatsAsync();
        var damage = new (string What, Action<string> Do)[]
        {
            ("a byte in the middle of the data", path => DiskDamage.Flip(path, DataStart(path) + ((new FileInfo(path).Length - DataStart(path)) / 2))),
            ("the first byte of the first block", path => DiskDamage.Flip(path, DataStart(path))),
            ("the last byte of the last block", path => DiskDamage.Flip(path, new FileInfo(path).Length - 1)),
            ("the header's length field", path => DiskDamage.Flip(path, 29)),
            ("the block table", path => DiskDamage.Flip(path, ChunkFileFormat.FixedHeaderLength + 1)),
            ("the padding before the data", path => DiskDamage.Flip(path, DataStart(path) - 1)),
            ("truncation to half", path => DiskDamage.Resize(path, new FileInfo(path).Length / 2)),
            ("extension by a byte", path => DiskDamage.Resize(path, new FileInfo(path).Length + 1)),
            ("another chunk's file renamed into its place", path => DiskDamage.ReplaceWith(path, chunks.First(c => c != path))),
        };
        for (var i = 0; i < damage.Length; i++)
        {
            output.WriteLine($"damaging {Path.GetFileName(chunks[i + 1])}: {damage[i].What}");
            damage[i].Do(chunks[i + 1]);
        }

        DropPageCache();
        await AssertAllExactAsync(mnt, files);          // through the running mount and its open files
        await AssertAllExactAsync(mnt, files, held); // and through the files held open since before

        var after = await silo.StatsAsync();
        output.WriteLine($"damaged {damage.Length}; detected {after.CorruptionsDetected - before.CorruptionsDetected}; refilled {after.ObjectStoreGets - before.ObjectStoreGets}");
        Assert.Equal(damage.Length, after.CorruptionsDetected - before.CorruptionsDetected);
        Assert.Equal(damage.Length, after.ObjectStoreGets - before.ObjectStoreGets);
        // Log lines reach the test through a pipe, after the counters moved: wait for them.
        await WaitForAsync(() => silo.Log.Split('\n').Count(l => l.Contains("is corrupt", StringComparison.Ordinal)) == damage.Length, $"{damage.Length} 'is corrupt' lines in the silo's log");
        Assert.All(silo.Log.Split('\n').Where(l => l.Contains("is corrupt", StringComparison.Ordinal)), l => Assert.Contains(" of s3://", l, StringComparison.Ordinal));
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") })
        {
            var metrics = Dashboard.PrometheusText.Parse(await http.GetStringAsync("metrics"));
            Assert.Equal(after.CorruptionsDetected, metrics.Samples.Single(m => m.Name == "orleansmount_cache_corruptions_total").Value);
        }

        // Healed: another pass fetches nothing and finds nothing.
        DropPageCache();
        await AssertAllExactAsync(mnt, files);
        var healed = await silo.StatsAsync();
        Assert.Equal(after.CorruptionsDetected, healed.CorruptionsDetected);
        Assert.Equal(after.ObjectStoreGets, healed.ObjectStoreGets);
    }

    [Fact]
    public async Task Random_damage_over_many_rounds_never_yields_a_wrong_byte_and_the_cache_heals()
    {
        var (catalog, files) = await SeedAndImportAsync("rnd", "random", 10, 50_000, (2 * MiB) + 3000, i => $"r-{i:D2}.bin");
        var cache = Temp.Sub("cache");
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, cache, socket, ["--chunk-size", "1MiB"]);
        var mnt = Temp.Sub("mnt");
        await MountAsync("random", mnt, socket, Path.Combine(Temp.Path, "mount.log"));
        using var held = new HeldOpen(mnt, files.Keys);
        await AssertAllExactAsync(mnt, files);
        await FillsStoredAsync(silo);
        var chunkCount = ChunkFiles(cache).Count;
        var random = new Random(20261206);
        var flips = 0;
        for (var round = 0; round < 12; round++)
        {
            var chunks = ChunkFiles(cache);
            Assert.Equal(chunkCount, chunks.Count); // healed: every damaged chunk was filled again
            foreach (var path in chunks.OrderBy(_ => random.Next()).Take(random.Next(1, 4)))
            {
                for (var n = random.Next(1, 4); n > 0; n--, flips++)
                {
                    DiskDamage.Flip(path, random.NextInt64(new FileInfo(path).Length), (byte)(1 << random.Next(8)));
                }
            }

            DropPageCache();
            await AssertAllExactAsync(mnt, files, round % 2 == 0 ? null : held);
        }

        var stats = await silo.StatsAsync();
        output.WriteLine($"{flips} bit flips over 12 rounds in {chunkCount} chunk files: {stats.CorruptionsDetected} damaged chunks detected and refilled ({stats.ObjectStoreGets} object-store GETs in all)");
        Assert.True(stats.CorruptionsDetected >= 12, $"only {stats.CorruptionsDetected} damaged chunks detected");
        Assert.Equal(chunkCount + stats.CorruptionsDetected, stats.ObjectStoreGets);
    }

    [Fact]
    public async Task A_damaged_copy_on_the_owner_is_refilled_there_or_its_answer_cut_and_the_peer_gets_the_right_bytes()
    {
        using var redis = await RedisServer.StartAsync();
        var (catalog, files) = await SeedAndImportAsync("prd", "peerrot", 12, 300_000, (2 * MiB) + 1000, i => $"p-{i:D2}.bin");
        var silos = await StartClusterAsync(catalog, redis.Configuration, "c" + Guid.NewGuid().ToString("N")[..8], Names, ["--chunk-size", "1MiB"]);
        var mounts = await MountOnEachAsync("peerrot", Names);

        // Node b reads everything: owners fill their chunks, b keeps near copies. Then every chunk file on b and c rots:
        // in its first block, or (every other file long enough) past the first piece an owner checks before it answers a
        // peer, where the owner finds it only once the answer has started.
        await AssertAllExactAsync(mounts[1], files);
        var damaged = 0;
        var late = 0;
        foreach (var silo in silos.Skip(1))
        {
            foreach (var path in ChunkFiles(silo.CacheDirectory))
            {
                const long lateOffset = 600 * 1024; // past the silo's first piece (SiloEndpoints.PeerPieceBytes, 256 KiB)
                var dataStart = DataStart(path);
                var pastFirstPiece = damaged % 2 == 1 && new FileInfo(path).Length > dataStart + lateOffset;
                DiskDamage.Flip(path, dataStart + (pastFirstPiece ? lateOffset : 100));
                damaged++;
                late += pastFirstPiece ? 1 : 0;
            }
        }

        Assert.True(late > 0, "no chunk file was damaged past the first piece");

        var before = await Task.WhenAll(silos.Select(s => s.StatsAsync()));
        DropPageCache();

        // Node a has no copies of its own of what b and c own: it copies them from their damaged owners.
        await AssertAllExactAsync(mounts[0], files);
        // Node b reads its damaged near copies (and owners' copies) again.
        await AssertAllExactAsync(mounts[1], files);

        var after = await Task.WhenAll(silos.Select(s => s.StatsAsync()));
        var detected = after.Zip(before, (a, b) => a.CorruptionsDetected - b.CorruptionsDetected).ToArray();
        output.WriteLine($"damaged {damaged} chunk files on b and c ({late} past the first piece); detected per silo: {string.Join(", ", detected)}; peer copies {string.Join(", ", after.Select(s => s.PeerFetches))}; owner fallbacks {string.Join(", ", after.Select(s => s.OwnerFallbacks))}");
        Assert.Equal(0, detected[0]);
        Assert.Equal(damaged, detected[1] + detected[2]);
        Assert.True(after[0].PeerFetches > 0, "node a copied nothing from its peers");
        // An owner that finds the damage after its answer started cuts it; node a reads that chunk from the object store.
        Assert.True(after[0].OwnerFallbacks > 0, "no copy from a damaged owner was cut and read around");
        foreach (var silo in silos.Skip(1))
        {
            await WaitForAsync(() => silo.Log.Contains("is corrupt", StringComparison.Ordinal), "an 'is corrupt' line in a damaged owner's log");
        }
    }

    private static List<string> ChunkFiles(string cache) =>
        [.. Directory.EnumerateFiles(Path.Combine(cache, "chunks"), "*.chunk", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Reads every file (opened afresh, or through the descriptors <paramref name="held"/> keeps) and compares every byte.</summary>
    private static async Task AssertAllExactAsync(string mnt, Dictionary<string, byte[]> files, HeldOpen? held = null)
    {
        foreach (var (key, content) in files)
        {
            var read = held is null ? await File.ReadAllBytesAsync(Path.Combine(mnt, key)) : held.ReadAll(Path.Combine(mnt, key), content.Length);
            Assert.True(content.Length == read.Length, $"{key}: {read.Length} bytes, expected {content.Length}");
            var at = content.AsSpan().CommonPrefixLength(read);
            Assert.True(at == content.Length, $"{key}: wrong byte at {at}");
        }
    }

    private static void DropPageCache() => File.WriteAllText("/proc/sys/vm/drop_caches", "3");

    private static long DataStart(string path)
    {
        using var file = File.OpenHandle(path);
        var header = ChunkFileFormat.TryRead(file, out var problem) ?? throw new InvalidOperationException($"{path}: {problem}");
        return header.DataOffset;
    }

    /// <summary>Keeps every file of the mount open (so the mount keeps its chunk files open) and reads through those descriptors.</summary>
    private sealed class HeldOpen(string mnt, IEnumerable<string> keys) : IDisposable
    {
        private readonly Dictionary<string, FileStream> _open = keys.ToDictionary(
            key => Path.Combine(mnt, key),
            key => new FileStream(Path.Combine(mnt, key), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess));

        public byte[] ReadAll(string path, int length)
        {
            var stream = _open[path];
            var bytes = new byte[length];
            stream.Position = 0;
            stream.ReadExactly(bytes);
            return bytes;
        }

        public void Dispose()
        {
            foreach (var stream in _open.Values)
            {
                stream.Dispose();
            }
        }
    }
}
