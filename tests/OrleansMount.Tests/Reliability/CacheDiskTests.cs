using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Reliability;

/// <summary>
/// The cache directory's disk misbehaving under a real silo and kernel mount: a disk that fills up
/// (a small tmpfs the test mounts and removes), chunk files damaged or torn while the silo runs and
/// while it is down. Reads keep returning the snapshot's bytes; damage is detected, counted and refetched.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class CacheDiskTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-disk-")
{
    [Fact]
    public async Task A_full_cache_disk_still_serves_every_byte_uncached_with_a_clear_warning()
    {
        var (catalog, files) = await SeedAndImportAsync("ful", "full", 8, 3 * MiB, 4 * MiB, i => $"big-{i}.bin");
        var cache = Temp.Sub("cache");
        var tmpfs = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", cache]);
        Assert.True(tmpfs.ExitCode == 0, tmpfs.ToString());
        try
        {
            // The budget says 1 GiB; the disk holds 12 MiB (RocksDB's files included).
            var socket = Path.Combine(Temp.Path, "silo.sock");
            var silo = await StartSiloAsync(catalog, cache, socket, ["--chunk-size", "1MiB"], cacheSize: "1GiB");
            var mnt = Temp.Sub("mnt");
            await MountAsync("full", mnt, socket, Path.Combine(Temp.Path, "mount.log"));
            foreach (var (key, content) in files)
            {
                var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
                Assert.True(content.AsSpan().SequenceEqual(read), $"content of {key} differs");
            }

            var stats = await silo.StatsAsync();
            var dataset = files.Values.Sum(v => (long)v.Length);
            output.WriteLine($"{dataset} bytes read through a 12 MiB cache disk: {stats.Chunks} chunks cached ({stats.CacheUsedBytes} B), {stats.UncachedFills} fills served uncached, {stats.FillErrors} fill errors");
            Assert.True(stats.UncachedFills > 0, "no fill was served uncached");
            Assert.True(stats.CacheUsedBytes < 12 * MiB, $"{stats.CacheUsedBytes} bytes cached on a 12 MiB disk");
            Assert.Equal(0, stats.FillErrors);
            Assert.Contains("Not caching chunk", silo.Log, StringComparison.Ordinal);
            Assert.Contains("is full", silo.Log, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache, "chunks"), "*.tmp", SearchOption.AllDirectories));

            // Still alive and still right on a second pass.
            foreach (var (key, content) in files.Take(3))
            {
                var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
                Assert.True(content.AsSpan().SequenceEqual(read), $"second read of {key} differs");
            }

            await UnmountAsync(mnt);
            await silo.StopAsync();
        }
        finally
        {
            foreach (var silo in Silos)
            {
                await silo.StopAsync();
            }

            var umount = await ProcessRunner.RunAsync("umount", [cache]);
            Assert.True(umount.ExitCode == 0, umount.ToString());
        }
    }

    [Fact]
    public async Task Damaged_and_torn_chunk_files_are_detected_refetched_and_counted_never_served()
    {
        var (catalog, files) = await SeedAndImportAsync("dmg", "damage", 6, 300_000, 2 * MiB, i => $"part-{i}.bin");
        var cache = Temp.Sub("cache");
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, cache, socket);
        var mnt = Temp.Sub("mnt");
        await MountAsync("damage", mnt, socket, Path.Combine(Temp.Path, "mount.log"));
        foreach (var key in files.Keys)
        {
            await File.ReadAllBytesAsync(Path.Combine(mnt, key));
        }

        await FillsStoredAsync(silo);

        // One byte flipped inside a chunk file while the silo runs (it checked the file when it wrote it).
        // The mount checks every block it reads, and the silo re-checks its copy when told.
        await UnmountAsync(mnt);
        var chunkFiles = Directory.EnumerateFiles(Path.Combine(cache, "chunks"), "*.chunk", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(6, chunkFiles.Count);
        FlipByte(chunkFiles[0]);
        var before = await silo.StatsAsync();
        await MountAsync("damage", mnt, socket, Path.Combine(Temp.Path, "mount2.log"));
        await ReadAllAndCompareAsync(mnt, files);
        var running = await FillsStoredAsync(silo);
        Assert.Equal(1, running.CorruptionsDetected - before.CorruptionsDetected);
        Assert.Equal(1, running.ObjectStoreGets - before.ObjectStoreGets); // only the damaged chunk was fetched again

        // While the silo is down: one chunk file damaged, one torn (cut short).
        await UnmountAsync(mnt);
        await silo.StopAsync();
        FlipByte(chunkFiles[1]);
        using (var torn = new FileStream(chunkFiles[2], FileMode.Open))
        {
            torn.SetLength(torn.Length / 2);
        }

        var again = await StartSiloAsync(catalog, cache, socket);
        await MountAsync("damage", mnt, socket, Path.Combine(Temp.Path, "mount3.log"));
        await ReadAllAndCompareAsync(mnt, files);
        var restarted = await again.StatsAsync();
        output.WriteLine($"detected {running.CorruptionsDetected - before.CorruptionsDetected} damaged chunk while running, {restarted.CorruptionsDetected} after a restart; refetched {restarted.ObjectStoreGets}");
        Assert.Equal(2, restarted.CorruptionsDetected);
        Assert.Equal(2, restarted.ObjectStoreGets);
        Assert.Contains("is corrupt", again.Log + silo.Log, StringComparison.Ordinal);
    }

    private static async Task ReadAllAndCompareAsync(string mnt, Dictionary<string, byte[]> files)
    {
        foreach (var (key, content) in files)
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(content.AsSpan().SequenceEqual(read), $"content of {key} differs");
        }
    }

    /// <summary>Inverts one byte in the middle of a chunk file's data, in place (same inode).</summary>
    private static void FlipByte(string path) => DiskDamage.Flip(path, new FileInfo(path).Length / 2, 0xFF);
}
