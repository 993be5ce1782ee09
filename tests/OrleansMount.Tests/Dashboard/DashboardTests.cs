using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: headless chromium opens the page a silo of a running 3-silo
/// cluster (redis-server, s3rver) serves at <c>/</c>, and what it rendered — members, occupancy,
/// reads by tier, the SVG bars and chart — is compared with <c>/api/v1/cluster</c>. The screenshot
/// is kept under the test output's <c>artifacts/</c> folder.
/// </summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class DashboardTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-dash-"), IClassFixture<RedisServer>
{
    private const double BarWidth = 260; // the occupancy bar's width in the page

    [Fact]
    public async Task Dashboard_in_a_browser_shows_the_members_and_occupancy_of_a_three_silo_cluster_as_the_json_api_does()
    {
        var clock = Stopwatch.StartNew();
        // 40 one-chunk files, so that each of the 3 silos owns some: with 12, one of them owned none in ~2% of runs
        // (3 x (2/3)^12; the chunk keys hash a bucket name that is new every run). With 40 that is 3 x (2/3)^40, ~3e-7.
        var (catalog, files) = await SeedAndImportAsync("dsh", "dash", 40, 64 * 1024, MiB, i => $"f-{i:D2}.bin");
        var cluster = "d" + Guid.NewGuid().ToString("N")[..8];
        string[] names = ["node-a", "node-b", "node-c"];
        foreach (var name in names)
        {
            // A small cache, so the occupancy bars are visibly filled.
            await StartSiloAsync(catalog, Temp.Sub("cache-" + name), Path.Combine(Temp.Path, name + ".sock"), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, "--cache-size", "64MiB"]);
        }

        foreach (var silo in Silos)
        {
            await WaitForActiveAsync(silo, 3);
        }

        // Some reads: everything through node-a (owners fill from the object store, node-a copies from
        // them), then everything through node-b (its own chunks are local, the rest come from peers).
        var dataset = files.Values.Sum(f => (long)f.Length);
        Assert.Equal(dataset, (await ChunkReads.ReadAllAsync(Silos[0], "dash")).Bytes);
        Assert.Equal(dataset, (await ChunkReads.ReadAllAsync(Silos[1], "dash")).Bytes);

        // A prefetch job coordinated by node-c (everything is cached by now: its chunks are skipped).
        using var started = await Silos[2].PostJsonAsync("api/v1/prefetch", new PrefetchRequest("dash", []));
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var job = (await started.Content.ReadFromJsonAsync<PrefetchJobStatus>())!;
        await WaitForAsync(() => Silos[2].GetJsonAsync<PrefetchJobStatus>($"api/v1/prefetch/{job.Id}").GetAwaiter().GetResult().State == "done", "the prefetch job to finish", 30);

        // The throughput chart needs two samples of every silo (sampled every 2 s).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        ClusterReport json;
        while ((json = await Silos[2].GetJsonAsync<ClusterReport>("api/v1/cluster")).Nodes.Any(n => n.Report is not { Throughput.Count: >= 2 }))
        {
            Assert.True(DateTime.UtcNow < deadline, "silos did not report two throughput samples within 20 s");
            await Task.Delay(200);
        }

        // Mounts as they register with their node's silo: one reading the chunk files itself, one that cannot (issue 17).
        using (var fast = await Silos[0].PostJsonAsync("api/v1/mounts", new MountRegistration("/mnt/dash-a", "dash", "x", true, Path.Combine(Silos[0].CacheDirectory, "chunks"), null, 101)))
        using (var slow = await Silos[1].PostJsonAsync("api/v1/mounts", new MountRegistration("/mnt/dash-b", "dash", "x", false, "/var/cache/orleansmount/chunks", "the directory does not exist in this process's file system", 102)))
        {
            Assert.True(fast.IsSuccessStatusCode && slow.IsSuccessStatusCode, await slow.Content.ReadAsStringAsync());
        }

        var url = $"http://127.0.0.1:{Silos[2].Port}/";
        var dom = new RenderedDashboard(await HeadlessChromium.DumpDomAsync(url, Temp.Sub("chromium-dom")));
        json = await Silos[2].GetJsonAsync<ClusterReport>("api/v1/cluster"); // nothing reads any more: the same state the page showed
        output.WriteLine($"page rendered {dom.Renders} times after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(dom.Renders >= 1, "the page never rendered cluster data");
        Assert.Equal(cluster, json.Cluster);
        Assert.Equal(names, json.Nodes.Select(n => n.Member.SiloId));
        Assert.All(json.Nodes, n => Assert.True(n.Reachable, $"{n.Member.SiloId}: {n.Error}"));

        // Members: one row per member, with the id, state, address and reachability of the JSON.
        var rows = dom.WithClass("member");
        Assert.Equal(
            json.Nodes.Select(n => $"{n.Member.SiloId} {n.Member.Status} {n.Member.Address} {n.Reachable.ToString().ToLowerInvariant()}"),
            rows.Select(r => $"{r["data-silo"]} {r["data-status"]} {r["data-address"]} {r["data-reachable"]}"));

        // Occupancy: used, capacity, chunks and range files per silo, as numbers and as a drawn bar.
        var cards = dom.Sections("occupancy");
        Assert.Equal(names, cards.Select(c => c.Attributes["data-silo"]));
        foreach (var (attributes, markup) in cards)
        {
            var report = json.Nodes.Single(n => n.Member.SiloId == attributes["data-silo"]).Report!;
            var stats = report.Stats;
            output.WriteLine($"{stats.SiloId}: {stats.CacheUsedBytes} of {stats.CacheCapacityBytes} B, {stats.Chunks} chunks, {report.RangeFilesOwned} range files; reads {string.Join(", ", report.Reads.Select(t => $"{t.Tier} {t.Reads}/{t.Bytes} B"))}");
            Assert.True(stats.Chunks > 0, $"{stats.SiloId} cached nothing");
            Assert.Equal(stats.CacheUsedBytes.ToString(CultureInfo.InvariantCulture), attributes["data-used"]);
            Assert.Equal(stats.CacheCapacityBytes.ToString(CultureInfo.InvariantCulture), attributes["data-capacity"]);
            Assert.Equal(stats.Chunks.ToString(CultureInfo.InvariantCulture), attributes["data-chunks"]);
            Assert.Equal(stats.Chunks.ToString(CultureInfo.InvariantCulture), RenderedDashboard.TextOf(markup, "chunks"));
            Assert.Equal(report.RangeFilesOwned.ToString(CultureInfo.InvariantCulture), attributes["data-ranges"]);
            Assert.Equal(report.RangeFilesOwned.ToString(CultureInfo.InvariantCulture), RenderedDashboard.TextOf(markup, "ranges"));
            var width = double.Parse(RenderedDashboard.FirstTag(markup, "rect", "bar-used")["width"], CultureInfo.InvariantCulture);
            Assert.InRange(width, (BarWidth * stats.CacheUsedBytes / stats.CacheCapacityBytes) - 0.01, (BarWidth * stats.CacheUsedBytes / stats.CacheCapacityBytes) + 0.01);
            Assert.True(width > 1, $"{stats.SiloId}'s occupancy bar is {width} px wide");
            var chunkGrains = report.Activations.Single(a => a.GrainType == "ChunkGrain");
            var renderedGrains = dom.WithClass("activations").Where(a => a["data-grain-type"] == "ChunkGrain").Select(a => a["data-active"]).ToList();
            Assert.Contains(chunkGrains.Active.ToString(CultureInfo.InvariantCulture), renderedGrains);
        }

        // Reads by tier: the cluster totals the page shows add up the silos' JSON; all three tiers were used.
        foreach (var total in dom.WithClass("tier-total"))
        {
            var tier = total["data-tier"];
            var reads = json.Nodes.Sum(n => n.Report!.Reads.Single(t => t.Tier == tier).Reads);
            var bytes = json.Nodes.Sum(n => n.Report!.Reads.Single(t => t.Tier == tier).Bytes);
            Assert.Equal(reads.ToString(CultureInfo.InvariantCulture), total["data-reads"]);
            Assert.Equal(bytes.ToString(CultureInfo.InvariantCulture), total["data-bytes"]);
            Assert.True(reads > 0, $"no reads from tier {tier}");
        }

        Assert.Equal(3, dom.WithClass("tier-total").Count);
        Assert.Equal(dataset, json.Nodes.Sum(n => n.Report!.Stats.ObjectStoreBytes)); // each chunk read from the store once for the cluster
        var jobRow = dom.WithClass("prefetch-job").Single();
        Assert.Equal(job.Id, jobRow["data-job"]);
        Assert.Equal("done", jobRow["data-state"]);
        Assert.Equal(json.Nodes[2].Report!.PrefetchJobs.Single().ChunksTotal, files.Count);
        var mounts = dom.WithClass("mount");
        Assert.Equal(["node-a /mnt/dash-a true", "node-b /mnt/dash-b false"], mounts.Select(m => $"{m["data-silo"]} {m["data-mountpoint"]} {m["data-local-chunks"]}"));
        var warned = Assert.Single(dom.Sections("mount-warning"));
        Assert.Equal("/mnt/dash-b", warned.Attributes["data-mountpoint"]);
        Assert.Contains("mount /mnt/dash-b: chunk files not readable at /var/cache/orleansmount/chunks", WebUtility.HtmlDecode(warned.Markup), StringComparison.Ordinal);
        Assert.Contains("every read goes through the silo", WebUtility.HtmlDecode(warned.Markup), StringComparison.Ordinal);
        var chart = dom.WithClass("series-local").Single();
        Assert.True(chart["points"].Split(' ').Length >= 2, "the throughput chart has no line");

        // A screenshot for people (kept as a test artifact).
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var shot = Path.Combine(artifacts, "dashboard-3-silos.png");
        File.Delete(shot);
        await HeadlessChromium.ScreenshotAsync(url, shot, Temp.Sub("chromium-shot"));
        var png = await File.ReadAllBytesAsync(shot);
        Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "the screenshot is not a PNG");
        Assert.Equal(1400, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(1800, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.True(png.Length > 30_000, $"the screenshot is only {png.Length} bytes: a blank page?");
        output.WriteLine($"screenshot: {shot}");
        Console.WriteLine($"dashboard screenshot: {shot}");

        // A member that stops answering (kill -9; still Active in the table until its heartbeat times out)
        // is shown as unreachable, and the rest of the page still renders.
        await Silos[2].KillAsync();
        var after = await Silos[0].GetJsonAsync<ClusterReport>("api/v1/cluster");
        var dead = after.Nodes.Single(n => n.Member.SiloId == "node-c");
        Assert.False(dead.Reachable);
        Assert.NotNull(dead.Error);
        Assert.Null(dead.Report);
        Assert.All(after.Nodes.Where(n => n.Member.SiloId != "node-c"), n => Assert.NotNull(n.Report));
        var partial = new RenderedDashboard(await HeadlessChromium.DumpDomAsync($"http://127.0.0.1:{Silos[0].Port}/", Temp.Sub("chromium-partial")));
        Assert.Equal("false", partial.WithClass("member").Single(r => r["data-silo"] == "node-c")["data-reachable"]);
        Assert.Equal(["true", "true", "false"], partial.Sections("occupancy").Select(c => c.Attributes["data-reachable"]));
        output.WriteLine($"done after {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
