using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// Decision 0035: a cold read through a kernel mount gets the chunk's bytes as the silo fills it from the object store,
/// each block checked, not after the whole chunk is read, written and renamed. Real processes: s3rver behind the
/// counting proxy (slowed, so a 4 MiB fill takes ~1.7 s), a silo and a kernel FUSE mount.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class MountStreamTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-mstream-")
{
    [Fact]
    public async Task A_cold_read_returns_its_first_bytes_while_the_silo_still_fills_the_chunk_and_every_byte_is_the_objects()
    {
        // 20 Mbit/s per request: the silo's fill of the 4 MiB chunk takes ~1.7 s; its first blocks arrive in milliseconds.
        await using var proxy = await LatencyProxyProcess.StartAsync(S3.Endpoint, bandwidthMbps: 20);
        ObjectStoreEndpoint = proxy.Endpoint;
        var (catalog, files) = await SeedAndImportAsync("mst", "mst", 1, 4 * MiB, 4 * MiB, _ => "big.bin");
        var content = files["big.bin"];
        var socket = SocketOf("silo");
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");
        await MountAsync("mst", mnt, socket, Path.Combine(Temp.Path, "mount.log"), "--no-metadata-prefetch");
        Assert.Equal(content.Length, new FileInfo(Path.Combine(mnt, "big.bin")).Length);
        var gets = (await proxy.StatsAsync()).GetRequests;

        await using (var file = new FileStream(Path.Combine(mnt, "big.bin"), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None))
        {
            var first = new byte[64 * 1024];
            await file.ReadExactlyAsync(first);
            var during = await silo.StatsAsync();
            output.WriteLine($"after the first 64 KiB: {during.Chunks} chunks stored, {during.Fills} fills done, {during.MountStreams} streams done");
            Assert.True(content.AsSpan(0, first.Length).SequenceEqual(first), "the first 64 KiB differ from the object");
            // The read returned while the fill still ran: nothing stored, no fill ended, no stream ended.
            Assert.Equal(0, during.Chunks);
            Assert.Equal(0, during.Fills);
            Assert.Equal(0, during.MountStreams);

            var rest = new byte[content.Length - first.Length];
            await file.ReadExactlyAsync(rest);
            Assert.True(content.AsSpan(first.Length).SequenceEqual(rest), "the rest of the file differs from the object");
        }

        var after = await silo.StatsAsync();
        output.WriteLine($"after the file: {after.Chunks} chunks, {after.Fills} fills, {after.MountStreams} streams, {after.ObjectStoreGets} GETs");
        Assert.Equal(1, after.MountStreams); // every read of the chunk shared one stream
        Assert.Equal(1, after.ObjectStoreGets);
        Assert.Equal(gets + 1, (await proxy.StatsAsync()).GetRequests);
        await WaitForAsync(() => silo.StatsAsync().GetAwaiter().GetResult().Chunks == 1, "the chunk stored once the fill ended");

        // The chunk file the fill left is the object's, read again with the page cache dropped; no new GET.
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
        var again = await File.ReadAllBytesAsync(Path.Combine(mnt, "big.bin"));
        Assert.True(content.AsSpan().SequenceEqual(again), "the file read again differs from the object");
        Assert.Equal(gets + 1, (await proxy.StatsAsync()).GetRequests);
    }

    [Fact]
    public async Task A_fill_cut_midway_cuts_the_mounts_stream_and_the_read_still_returns_the_objects_bytes()
    {
        // The silo's first GET of the object is cut after half its body (it does not retry: one attempt); the ensure the
        // mount asks for then fills it again, and that GET passes.
        await using var proxy = await LatencyProxyProcess.StartAsync(S3.Endpoint, 0, 40, "reset-body:methods=GET,path=victim.bin,first=1");
        ObjectStoreEndpoint = proxy.Endpoint;
        var (catalog, files) = await SeedAndImportAsync("msf", "msf", 1, 4 * MiB, 4 * MiB, _ => "victim.bin");
        var socket = SocketOf("silo");
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), socket, ["--object-store-attempts", "1"]);
        var mnt = Temp.Sub("mnt");
        var log = Path.Combine(Temp.Path, "mount.log");
        await MountAsync("msf", mnt, socket, log, "--no-metadata-prefetch");

        var read = await File.ReadAllBytesAsync(Path.Combine(mnt, "victim.bin"));

        Assert.True(files["victim.bin"].AsSpan().SequenceEqual(read), "the bytes read through the mount differ from the object");
        await WaitForAsync(() => silo.StatsAsync().GetAwaiter().GetResult().Chunks == 1, "the refill's chunk stored"); // the stream ends before the disk write
        var stats = await silo.StatsAsync();
        output.WriteLine($"{stats.FillErrors} failed fills, {stats.Fills} fills, {stats.MountStreams} streams, {stats.ObjectStoreGets} GETs, {stats.Chunks} chunks");
        Assert.Equal(1, (await proxy.StatsAsync()).Injected("ResetMidBody"));
        Assert.Equal(1, stats.FillErrors);
        // The cut stream never counts as sent; the refill may stream to reads that came after the cut.
        Assert.InRange(stats.MountStreams, 0, 1);
        Assert.Equal(1, stats.Fills);
        Assert.Equal(1, stats.Chunks);
        Assert.Contains("ended early", await File.ReadAllTextAsync(log), StringComparison.Ordinal);

        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
        var again = await File.ReadAllBytesAsync(Path.Combine(mnt, "victim.bin"));
        Assert.True(files["victim.bin"].AsSpan().SequenceEqual(again), "the cached copy differs from the object");
    }
}
