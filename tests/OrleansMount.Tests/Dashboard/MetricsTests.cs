using System.Globalization;
using System.Text.RegularExpressions;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Dashboard;

/// <summary>
/// <c>/metrics</c> of a real silo against s3rver: strict Prometheus text, every series labelled with
/// the silo id (one that needs escaping), every name documented in docs/metrics.md, and counters
/// that move by exactly what reads did. Also the silo's logs: every line names the silo, and
/// <c>--log-level</c> filters them.
/// </summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed partial class MetricsTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-metrics-")
{
    [Fact]
    public async Task Metrics_parse_as_Prometheus_text_and_their_counters_move_with_reads()
    {
        var (catalog, files) = await SeedAndImportAsync("met", "m", 6, 100_000, 5 * MiB, i => $"m-{i}.bin");
        const string siloId = "metrics\"probe\\1"; // a quote and a backslash: label values must be escaped
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), Path.Combine(Temp.Path, "s.sock"), ["--silo-id", siloId]);
        var before = await ScrapeAsync(silo);
        Assert.All(before.Samples, s => Assert.Equal(siloId, s.Labels["silo"]));
        Assert.All(before.Types.Keys, name => Assert.True(before.Help.ContainsKey(name), $"{name} has no HELP"));
        Assert.Equal(0, before.Value("orleansmount_reads_total", ("tier", "object_store")));

        // docs/metrics.md documents exactly the names the silo exposes.
        var documented = DocumentedName().Matches(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "metrics.md"))).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(before.Types.Keys.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));

        // First read of everything: one object-store GET per chunk.
        var (chunks, bytes) = await ChunkReads.ReadAllAsync(silo, "m");
        Assert.Equal(files.Values.Sum(f => (long)f.Length), bytes);
        var filled = await ScrapeAsync(silo);
        var stats = await silo.StatsAsync();
        output.WriteLine($"{chunks} chunks, {bytes} B read; {stats.ObjectStoreGets} GETs");
        Assert.Equal(chunks, filled.Value("orleansmount_object_store_requests_total") - before.Value("orleansmount_object_store_requests_total"));
        Assert.Equal(bytes, filled.Value("orleansmount_object_store_bytes_total") - before.Value("orleansmount_object_store_bytes_total"));
        Assert.Equal(chunks, filled.Value("orleansmount_reads_total", ("tier", "object_store")));
        Assert.Equal(bytes, filled.Value("orleansmount_reads_bytes_total", ("tier", "object_store")));
        Assert.Equal(0, filled.Value("orleansmount_reads_total", ("tier", "local")));
        Assert.Equal(chunks, filled.Value("orleansmount_fills_total", ("outcome", "cached")));
        Assert.Equal(stats.CacheUsedBytes, filled.Value("orleansmount_cache_used_bytes"));
        Assert.Equal(stats.Chunks, filled.Value("orleansmount_cache_chunks"));
        Assert.Equal(chunks, filled.Value("orleansmount_cache_chunks"));
        Assert.Equal(stats.ChunkActivations, filled.Value("orleansmount_grain_activations", ("grain_type", "ChunkGrain")));
        Assert.Equal(2L * 1024 * 1024 * 1024, filled.Value("orleansmount_cache_capacity_bytes"));
        Assert.Equal(1, filled.Value("orleansmount_members", ("status", "Active")));

        // Second read: all local, the object store untouched.
        await ChunkReads.ReadAllAsync(silo, "m");
        var warm = await ScrapeAsync(silo);
        Assert.Equal(chunks, warm.Value("orleansmount_reads_total", ("tier", "local")));
        Assert.Equal(bytes, warm.Value("orleansmount_reads_bytes_total", ("tier", "local")));
        Assert.Equal(filled.Value("orleansmount_object_store_requests_total"), warm.Value("orleansmount_object_store_requests_total"));
        foreach (var sample in filled.Samples.Where(s => filled.Types[s.Name] == "counter"))
        {
            var later = warm.Samples.Single(s => s.Name == sample.Name && s.Labels.OrderBy(l => l.Key).SequenceEqual(sample.Labels.OrderBy(l => l.Key)));
            Assert.True(later.Value >= sample.Value, $"counter {sample.Name} went down");
        }

        // A failed fill (an object whose ETag no longer matches) is counted by kind and listed in the node report.
        var listing = await silo.GetJsonAsync<DirectoryListing>("api/v1/snapshots/m/list");
        var item = listing.Items.First(i => !i.Dir);
        using var changed = await silo.PostJsonAsync("api/v1/chunks/data", new ChunkRequest(item.Address!, "\"0123456789abcdef0123456789abcdef\"", item.Size, 0, 4 * MiB, "m", listing.SnapshotId));
        Assert.Equal(System.Net.HttpStatusCode.PreconditionFailed, changed.StatusCode);
        var failed = await ScrapeAsync(silo);
        Assert.Equal(1, failed.Value("orleansmount_log_errors_total", ("kind", "fill")));
        Assert.Equal(1, failed.Value("orleansmount_fills_total", ("outcome", "failed")));
        var node = await silo.GetJsonAsync<NodeReport>("api/v1/node");
        var newest = node.RecentErrors[0];
        Assert.Equal("fill", newest.Kind);
        Assert.Equal("ChunkFill", newest.Source);
        Assert.Contains(item.Address!, newest.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_log_line_names_its_silo_and_log_level_filters_them()
    {
        var (catalog, _) = await SeedAndImportAsync("log", "l", 2, 1000, 2000, i => $"l-{i}.bin");
        var chatty = await StartSiloAsync(catalog, Temp.Sub("cache-i"), Path.Combine(Temp.Path, "i.sock"), ["--silo-id", "log-probe-info"]);
        await ChunkReads.ReadAllAsync(chatty, "l");
        var quiet = await StartSiloAsync(catalog, Temp.Sub("cache-w"), Path.Combine(Temp.Path, "w.sock"), ["--silo-id", "log-probe-warn", "--log-level", "Warning"]);
        await ChunkReads.ReadAllAsync(quiet, "l");
        var listing = await quiet.GetJsonAsync<DirectoryListing>("api/v1/snapshots/l/list");
        var item = listing.Items.First(i => !i.Dir);
        using var changed = await quiet.PostJsonAsync("api/v1/chunks/data", new ChunkRequest(item.Address!, "\"ffffffffffffffffffffffffffffffff\"", item.Size, 0, 4 * MiB, "l", listing.SnapshotId));
        await WaitForAsync(() => quiet.Log.Contains("fill of chunk", StringComparison.Ordinal), "the warning-level silo to log the failed fill:\n" + quiet.Log);

        var info = LogLines(chatty.Log);
        Assert.Contains(info, l => l.Level == "INF" && l.Text.Contains("ready", StringComparison.Ordinal));
        Assert.All(info, l => Assert.Equal("log-probe-info", l.Silo));
        var warn = LogLines(quiet.Log);
        Assert.Contains(warn, l => l.Level == "WRN" && l.Text.Contains("fill of chunk", StringComparison.Ordinal));
        Assert.All(warn, l => Assert.Equal("log-probe-warn", l.Silo));
        Assert.DoesNotContain(warn, l => l.Level is "INF" or "DBG" or "VRB");
        // Request logging does not flood: ordinary chunk reads are Verbose, the refused (412) read Debug; only a
        // failed (5xx) or slow (over 1 s: on these loaded cores, a first request may be) one reaches Warning.
        foreach (var request in info.Concat(warn).Where(l => l.Text.Contains("RequestLoggingMiddleware", StringComparison.Ordinal)))
        {
            output.WriteLine($"request event: {request.Level} {request.Text}");
            var outcome = RequestOutcome().Match(request.Text);
            Assert.True(outcome.Success, request.Text);
            Assert.Equal("WRN", request.Level);
            Assert.True(int.Parse(outcome.Groups["status"].Value, CultureInfo.InvariantCulture) >= 500 || double.Parse(outcome.Groups["ms"].Value, CultureInfo.InvariantCulture) > 1000, request.Text);
        }

        output.WriteLine($"{info.Count} lines at Information, {warn.Count} at Warning; e.g. {warn[0].Text}");

        // --log-format json: one JSON object a line, each with the silo id among its properties; at Verbose
        // the request log's events too (one per request).
        var json = await StartSiloAsync(catalog, Temp.Sub("cache-j"), Path.Combine(Temp.Path, "j.sock"), ["--silo-id", "log-probe-json", "--log-format", "json", "--log-level", "Verbose"]);
        await ChunkReads.ReadAllAsync(json, "l");
        await WaitForAsync(() => json.Log.Contains("ready", StringComparison.Ordinal) && json.Log.Contains("/api/v1/chunks/data", StringComparison.Ordinal), "the JSON-logging silo's ready line and request events");
        var events = json.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(events, e => Assert.Equal("log-probe-json", e.GetProperty("Properties").GetProperty("SiloId").GetString()));
        Assert.Contains(events, e => e.GetProperty("Level").GetString() == "Information" && e.GetProperty("RenderedMessage").GetString()!.Contains("ready", StringComparison.Ordinal));
        Assert.Contains(events, e => e.GetProperty("Level").GetString() == "Verbose" && e.GetProperty("Properties").TryGetProperty("RequestPath", out var path) && path.GetString() == "/api/v1/chunks/data");
    }

    private static async Task<PrometheusText> ScrapeAsync(SiloProcess silo)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };
        using var response = await http.GetAsync("metrics");
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static List<(string Level, string Silo, string Text)> LogLines(string log)
    {
        var lines = log.Split('\n').Select(l => LogLine().Match(l)).Where(m => m.Success)
            .Select(m => (m.Groups["level"].Value, m.Groups["silo"].Value, m.Groups["text"].Value)).ToList();
        Assert.NotEmpty(lines);
        return lines;
    }

    [GeneratedRegex(@"^\[\d\d:\d\d:\d\d\.\d{3} (?<level>[A-Z]{3})\] (?<silo>\S+) (?<text>.*)$")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"responded (?<status>\d{3}) in (?<ms>\d+(\.\d+)?) ms")]
    private static partial Regex RequestOutcome();

    [GeneratedRegex(@"^\| `(?<name>orleansmount_[a-z_]+)`", RegexOptions.Multiline)]
    private static partial Regex DocumentedName();
}
