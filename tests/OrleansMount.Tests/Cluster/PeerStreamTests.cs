using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// A chunk cold everywhere, read through a silo that does not own it, with real silo processes, redis-server, s3rver
/// (behind the counting proxy, slowed so an owner's fill takes a while) and a kernel mount: the requester streams the
/// owner's fill as it arrives instead of waiting for its end, the object store is read once per chunk, and a fill that
/// fails midway never leaves part of a chunk anywhere.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class PeerStreamTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-stream-"), IClassFixture<RedisServer>
{
    // The owner's placement weight (its cache capacity; nothing checks it against the disk) is 2^18 times the
    // requester's: the requester owns a given chunk in about one run in 260,000 (at 256 times, one run in 257 failed).
    private const string OwnerCache = "16TiB";
    private const string RequesterCache = "64MiB";

    private async Task<(SiloProcess Owner, SiloProcess Requester, string Mount)> StartAsync(string catalog, string snapshot, params string[] ownerArgs)
    {
        var cluster = "s" + Guid.NewGuid().ToString("N")[..8];
        var owner = await StartSiloAsync(catalog, Temp.Sub("cache-owner"), SocketOf("owner"), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", "owner", .. ownerArgs], OwnerCache);
        var requester = await StartSiloAsync(catalog, Temp.Sub("cache-requester"), SocketOf("requester"), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", "requester"], RequesterCache);
        await WaitForActiveAsync(owner, 2);
        await WaitForActiveAsync(requester, 2);
        var mnt = Temp.Sub("mnt-requester");
        await MountAsync(snapshot, mnt, SocketOf("requester"), Path.Combine(Temp.Path, "requester-mount.log"), "--no-metadata-prefetch");

        // Every file's metadata first, on both silos (the owner checks each request against the snapshot): what
        // follows reads only chunks.
        Assert.NotEmpty(new DirectoryInfo(mnt).EnumerateFiles("*", SearchOption.AllDirectories).Select(f => f.Length).ToList());
        var record = await owner.GetJsonAsync<System.Text.Json.JsonElement>($"api/v1/snapshots/{snapshot}");
        await owner.GetJsonAsync<System.Text.Json.JsonElement>($"api/v1/snapshots/{snapshot}/list?id={record.GetProperty("id").GetString()}&path=");
        return (owner, requester, mnt);
    }

    [Fact]
    public async Task A_cold_read_through_a_non_owner_streams_the_owners_fill_and_reads_each_chunk_from_the_object_store_once()
    {
        // 40 Mbit/s per request: an owner's fill of a 4 MiB chunk takes ~0.8 s, so copies meet fills in flight.
        await using var proxy = await LatencyProxyProcess.StartAsync(S3.Endpoint, bandwidthMbps: 40);
        ObjectStoreEndpoint = proxy.Endpoint;
        var (catalog, files) = await SeedAndImportAsync("pst", "stream", 4, 5 * MiB, 7 * MiB, i => $"part-{i}.bin");
        var chunks = files.Values.Sum(f => (f.Length + (4 * MiB) - 1) / (4 * MiB));
        var (owner, requester, mnt) = await StartAsync(catalog, "stream");
        var before = await proxy.StatsAsync();

        await Task.WhenAll(files.Select(f => Task.Run(async () =>
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, f.Key));
            Assert.True(f.Value.AsSpan().SequenceEqual(read), $"content of {f.Key} through the requester's mount");
        })));

        var after = await proxy.StatsAsync();
        var (o, r) = (await owner.StatsAsync(), await requester.StatsAsync());
        output.WriteLine($"{chunks} chunks; object store (proxy): {after.GetRequests - before.GetRequests} GETs; owner: {o.ObjectStoreGets} GETs, {o.PeerStreamsWhileFilling} streamed while filling; requester: {r.ObjectStoreGets} GETs, {r.PeerFetches} copied from the owner, {r.OwnerFallbacks} fallbacks");
        Assert.Equal(chunks, after.GetRequests - before.GetRequests); // one GET per chunk for the cluster, none retried
        Assert.Equal(chunks, o.ObjectStoreGets + r.ObjectStoreGets);
        Assert.Equal(chunks - r.ObjectStoreGets, r.PeerFetches);
        Assert.True(r.PeerFetches >= chunks - 2, $"the requester copied only {r.PeerFetches} of {chunks} chunks from the owner");
        Assert.Equal(0, r.OwnerFallbacks);
        Assert.Equal(0, o.FillErrors + r.FillErrors);
        // Each copy found the owner's fill in flight (its grain answered "filling" as soon as the store answered) and
        // was streamed from it; none waited for a finished chunk file.
        Assert.InRange(o.PeerStreamsWhileFilling, 1, r.PeerFetches);
        Assert.True(o.PeerStreamsWhileFilling >= r.PeerFetches / 2, $"only {o.PeerStreamsWhileFilling} of {r.PeerFetches} copies streamed a fill in flight");

        // The near copies are whole and right: read again from the requester's own chunk files, page cache dropped.
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
        foreach (var (key, content) in files)
        {
            var again = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(content.AsSpan().SequenceEqual(again), $"content of {key} read again");
        }

        Assert.Equal(after.GetRequests, (await proxy.StatsAsync()).GetRequests);
    }

    [Fact]
    public async Task A_fill_failing_midway_cuts_the_stream_and_the_requester_reads_the_object_store_caching_no_part_of_it()
    {
        // The owner's GET of the object is cut after half its body (once; the owner does not retry), while the
        // requester streams it; the requester's own GET afterwards passes.
        await using var proxy = await LatencyProxyProcess.StartAsync(S3.Endpoint, 0, 40, "reset-body:methods=GET,path=victim.bin,first=1");
        ObjectStoreEndpoint = proxy.Endpoint;
        var (catalog, files) = await SeedAndImportAsync("psf", "cut", 1, 4 * MiB, 4 * MiB, _ => "victim.bin");
        var (owner, requester, mnt) = await StartAsync(catalog, "cut", "--object-store-attempts", "1");
        var content = files["victim.bin"];

        var read = await File.ReadAllBytesAsync(Path.Combine(mnt, "victim.bin"));

        Assert.True(content.AsSpan().SequenceEqual(read), "the bytes read through the requester's mount differ from the object");
        var (o, r) = (await owner.StatsAsync(), await requester.StatsAsync());
        output.WriteLine($"owner: {o.FillErrors} failed fills, {o.Chunks} chunks, {o.PeerStreamsWhileFilling} streamed; requester: {r.OwnerFallbacks} fallbacks, {r.ObjectStoreGets} GETs, {r.PeerFetches} copies, {r.Chunks} chunks");
        Assert.Equal(1, (await proxy.StatsAsync()).Injected("ResetMidBody"));
        Assert.Equal(1, o.FillErrors);
        Assert.Equal(0, o.Chunks); // nothing of the failed fill was kept
        Assert.Equal(0, o.PeerStreamsWhileFilling);
        Assert.Equal(1, r.OwnerFallbacks);
        Assert.Equal(0, r.PeerFetches); // the cut copy was not taken
        Assert.Equal(1, r.ObjectStoreGets);
        Assert.Equal(1, r.Chunks);
        // The copy was cut mid-body (an owner failing before its first byte answers an error status instead).
        await WaitForAsync(() => requester.Log.Contains("did not deliver it", StringComparison.Ordinal), "the requester's fallback log line");
        Assert.DoesNotContain("owner answered", requester.Log, StringComparison.Ordinal);

        // What the requester keeps is the object's bytes, read again from its chunk file.
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
        var again = await File.ReadAllBytesAsync(Path.Combine(mnt, "victim.bin"));
        Assert.True(content.AsSpan().SequenceEqual(again), "the requester's cached copy differs from the object");
    }
}
