using System.Net;
using System.Text.Json;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Dashboard;

/// <summary>
/// <c>--orleans-dashboard</c> on real silo processes: off by default (<c>/orleans</c> is not found), on it serves
/// Orleans' dashboard page and its live JSON where the product's dashboard is served, under the same rule: with a
/// cluster secret a GET is readable unsigned, as the product's dashboard is, and anything else needs a signature.
/// </summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class OrleansDashboardTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-odash-")
{
    [Fact]
    public async Task The_Orleans_dashboard_is_served_at_orleans_only_with_the_flag_and_under_the_product_dashboards_rules()
    {
        var bucket = await S3.CreateUniqueBucketAsync("odash");
        var catalog = $"s3://{bucket}/.orleansmount/";
        var secretFile = Path.Combine(Temp.Path, "secret");
        await File.WriteAllTextAsync(secretFile, "s3cr3t-for-the-orleans-dashboard-test\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var without = await StartSiloAsync(catalog, Temp.Sub("cache-off"), SocketOf("off"), ["--secret-file", secretFile]);
        var with = await StartSiloAsync(catalog, Temp.Sub("cache-on"), SocketOf("on"), ["--secret-file", secretFile, "--orleans-dashboard", "--silo-id", "odash-on"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Uri At(SiloProcess silo, string path) => new($"http://127.0.0.1:{silo.Port}{path}");

        // Off (the default): nothing at /orleans; the product's dashboard is there all the same.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(At(without, "/"))).StatusCode);
        foreach (var path in new[] { "/orleans", "/orleans/", "/orleans/DashboardCounters" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(At(without, path))).StatusCode);
        }

        // On: the page (after Orleans' redirect to /orleans/) and its JSON, unsigned like the product's dashboard.
        using var page = await http.GetAsync(At(with, "/orleans"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{(int)page.StatusCode} {html}");
        Assert.Equal("/orleans/", page.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("index.min.js", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(At(with, "/orleans/index.min.js"))).StatusCode);

        // Its counters name this silo once the dashboard has sampled them (every second).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement counters;
        while (true)
        {
            counters = JsonDocument.Parse(await http.GetStringAsync(At(with, "/orleans/DashboardCounters"))).RootElement;
            if (counters.GetProperty("totalActiveHostCount").GetInt32() == 1)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the Orleans dashboard counted no active silo in 30 s: {counters}");
            await Task.Delay(200); // the dashboard samples every second and signals nothing
        }

        Assert.Contains("odash-on", counters.GetProperty("hosts").ToString(), StringComparison.Ordinal);

        // Anything but a read needs the cluster secret, as everywhere outside the read-only views; the trace log
        // stream is off.
        using var post = await http.PostAsync(At(with, "/orleans/DashboardCounters"), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(At(with, "/orleans/Trace"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync(At(with, "/api/v1/chunks/ensure"), new StringContent("{}"))).StatusCode);
        output.WriteLine($"counters: {counters.ToString()[..Math.Min(400, counters.ToString().Length)]}");
    }
}
