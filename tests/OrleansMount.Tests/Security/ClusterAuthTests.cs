using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OrleansMount.Core.Placement;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Security;

/// <summary>
/// Silos and mounts sharing a cluster secret (real processes, redis-server, s3rver, a kernel mount):
/// they work as before; unsigned, forged, replayed and expired requests are rejected and counted; a
/// silo with another secret gets nothing from the others; the secret shows in no log and no command line.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ClusterAuthTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-auth-"), IClassFixture<RedisServer>
{
    private const string SecretText = "s3cr3t-for-the-auth-test-9f1c2e";
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Only_callers_with_the_cluster_secret_are_served()
    {
        var (catalog, files) = await SeedAndImportAsync("aut", "au", 12, 50_000, 600_000, i => $"f{i:D2}.bin");
        var secretFile = Path.Combine(Temp.Path, "secret");
        await File.WriteAllTextAsync(secretFile, SecretText + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cluster = "a" + Guid.NewGuid().ToString("N")[..8];
        // A long peer timeout: this test is about authentication, and a shared s3rver slowed by other tests must not
        // make node-a read around a slow but honest node-b (an owner fallback the assertions below would count).
        string[] Args(string name, string file) => ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, "--secret-file", file, "--peer-timeout", "60s"];
        var a = await StartSiloAsync(catalog, Temp.Sub("cache-a"), Path.Combine(Temp.Path, "a.sock"), Args("node-a", secretFile));
        var b = await StartSiloAsync(catalog, Temp.Sub("cache-b"), Path.Combine(Temp.Path, "b.sock"), Args("node-b", secretFile));
        await WaitForActiveAsync(a, 2);
        await WaitForActiveAsync(b, 2);

        // A mount without the secret is refused at mount time, saying what is missing.
        var mnt = Temp.Sub("mnt");
        var refused = await ProcessRunner.RunAsync(RepoPaths.Cli, ["mount", "au", mnt, "--silo", Path.Combine(Temp.Path, "a.sock")], Env);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("requires the cluster secret", refused.StandardError, StringComparison.Ordinal);

        // With it (from a file named in the environment), the mount reads every byte; chunks travel between the silos.
        var env = Env;
        env[ClusterSecret.FileEnvironmentVariable] = secretFile;
        var mounted = await ProcessRunner.RunAsync(RepoPaths.Cli, ["mount", "au", mnt, "--silo", Path.Combine(Temp.Path, "a.sock"), "--log-file", Path.Combine(Temp.Path, "mount.log")], env);
        Assert.True(mounted.ExitCode == 0, mounted.ToString());
        try
        {
            foreach (var (name, content) in files)
            {
                var read = await File.ReadAllBytesAsync(Path.Combine(mnt, name));
                Assert.True(content.AsSpan().SequenceEqual(read), $"content of {name}");
            }
        }
        finally
        {
            await UnmountAsync(mnt);
        }

        var statsA = await a.StatsAsync();
        Assert.True(statsA.PeerFetches > 0, $"no chunk was copied from node-b: the peer path was not exercised; node-a's peer warnings: {PeerWarnings(a)}");
        Assert.True(statsA.OwnerFallbacks == 0, $"node-a read around node-b {statsA.OwnerFallbacks} times: {PeerWarnings(a)}");

        // Requests to node-b over TCP: unsigned, signed with another secret, a signature replayed on another
        // path, and one made ten minutes ago are all refused, saying why; the read-only views are not.
        var (id, listing) = await ListAsync(b, "au");
        var request = new ChunkRequest(listing.Items[0].Address!, listing.Items[0].ETag!, listing.Items[0].Size, 0, 4 * MiB, "au", id);
        var json = JsonSerializer.SerializeToUtf8Bytes(request, WebJson);
        var secret = ClusterSecret.FromText(SecretText, "test");
        var forger = ClusterSecret.FromText("a-guess-at-the-secret-000000", "test");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{b.Port}/") };
        var refusals = new List<string>();
        async Task<HttpStatusCode> Post(string? auth)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "api/v1/peer/chunks/data") { Content = new ByteArrayContent(json) };
            message.Content.Headers.ContentType = new("application/json");
            if (auth is not null)
            {
                message.Headers.Add(ClusterSecret.HeaderName, auth);
            }

            using var response = await http.SendAsync(message);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                var error = (await response.Content.ReadFromJsonAsync<SiloError>())!;
                Assert.Equal(SiloError.Unauthorized, error.Kind);
                Assert.DoesNotContain(SecretText, error.Error, StringComparison.Ordinal);
                refusals.Add(error.Error);
            }

            return response.StatusCode;
        }

        var before = (await b.StatsAsync()).AuthRejected;
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(forger.Sign("POST", "/api/v1/peer/chunks/data", json, DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(secret.Sign("POST", "/api/v1/chunks/data", json, DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(secret.Sign("POST", "/api/v1/peer/chunks/data", json, DateTimeOffset.UtcNow.AddMinutes(-10))));
        Assert.Equal(HttpStatusCode.OK, await Post(secret.Sign("POST", "/api/v1/peer/chunks/data", json, DateTimeOffset.UtcNow)));
        Assert.Collection(
            refusals,
            m => Assert.Contains("had no signature", m, StringComparison.Ordinal),
            m => Assert.Contains("a wrong signature", m, StringComparison.Ordinal),
            m => Assert.Contains("a wrong signature", m, StringComparison.Ordinal),
            m => Assert.Contains("s behind this silo's clock", m, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"api/v1/snapshots/au/list?id={id}&path=")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/v1/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/v1/members")).StatusCode);
        var rejected = (await b.StatsAsync()).AuthRejected - before;
        Assert.True(rejected == 5, $"node-b counted {rejected} rejections, expected 5: {string.Join(" | ", b.Log.Split('\n').Where(l => l.Contains("rejected ", StringComparison.Ordinal)))}");
        await WaitForAsync(() => b.Log.Contains("rejected POST /api/v1/peer/chunks/data", StringComparison.Ordinal), "the rejection log line");

        // A silo with another secret joins the membership but gets nothing from the honest silos: each of its
        // calls to them is refused (and it reads from the object store itself, counted as fallbacks).
        var wrongFile = Path.Combine(Temp.Path, "wrong-secret");
        await File.WriteAllTextAsync(wrongFile, "not-the-cluster-secret-at-all-1234");
        var intruder = await StartSiloAsync(catalog, Temp.Sub("cache-x"), Path.Combine(Temp.Path, "x.sock"), Args("node-x", wrongFile));
        await WaitForActiveAsync(intruder, 3);
        await WaitForActiveAsync(a, 3);
        var placement = new PlacementView([new("node-a", 2L << 30), new("node-b", 2L << 30), new("node-x", 2L << 30)]);
        using var intruderHttp = new HttpClient(ClusterAuthHandler.Wrap(ClusterSecret.FromFile(wrongFile), new SocketsHttpHandler())) { BaseAddress = new Uri($"http://127.0.0.1:{intruder.Port}/") };
        var (intruderId, intruderListing) = await ListAsync(intruder, "au", intruderHttp);
        var honestBefore = (await a.StatsAsync()).AuthRejected + (await b.StatsAsync()).AuthRejected;
        var ownedByHonest = 0;
        foreach (var item in intruderListing.Items)
        {
            var chunk = new ChunkRequest(item.Address!, item.ETag!, item.Size, 0, 4 * MiB, "au", intruderId);
            ownedByHonest += placement.OwnerOf(PlacementKey.Of(chunk.Id)) != "node-x" ? 1 : 0;
            using var response = await intruderHttp.PostAsJsonAsync("api/v1/chunks/data", chunk);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var intruderStats = await intruder.StatsAsync();
        var honestRejected = (await a.StatsAsync()).AuthRejected + (await b.StatsAsync()).AuthRejected - honestBefore;
        output.WriteLine($"intruder: {intruderStats.PeerFetches} chunks from peers, {intruderStats.OwnerFallbacks} fallbacks; honest silos rejected {honestRejected} of its calls ({ownedByHonest} chunks owned by them); node-b rejected {rejected} forged test requests");
        Assert.True(ownedByHonest > 0, "every chunk is owned by the intruder: nothing was asked of the honest silos");
        Assert.True(intruderStats.PeerFetches == 0, $"the intruder copied {intruderStats.PeerFetches} chunks from honest silos");
        Assert.True(honestRejected >= ownedByHonest, $"{honestRejected} rejections for {ownedByHonest} calls");

        // The secret is in no log and on no command line.
        foreach (var silo in Silos)
        {
            Assert.DoesNotContain(SecretText, silo.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(SecretText, await File.ReadAllTextAsync($"/proc/{silo.Pid}/cmdline"), StringComparison.Ordinal);
        }

        Assert.Contains("authenticated with the cluster secret from file", a.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretText, await File.ReadAllTextAsync(Path.Combine(Temp.Path, "mount.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_captured_request_cannot_be_replayed_nor_sent_with_another_body()
    {
        var (catalog, _) = await SeedAndImportAsync("rpl", "rp", 4, 10_000, 50_000, i => $"r{i}.bin");
        var secretFile = Path.Combine(Temp.Path, "secret");
        await File.WriteAllTextAsync(secretFile, SecretText + "\n");
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), Path.Combine(Temp.Path, "s.sock"), ["--secret-file", secretFile]);
        var secret = ClusterSecret.FromText(SecretText, "test");
        using var signed = new HttpClient(ClusterAuthHandler.Wrap(secret, new SocketsHttpHandler())) { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };

        // An eavesdropper's copy of a legitimately signed prefetch start, exactly as it crossed the wire.
        CapturedRequest captured;
        using (var capture = new RequestCapture())
        using (var sender = new HttpClient(ClusterAuthHandler.Wrap(secret, new SocketsHttpHandler())) { BaseAddress = new Uri(capture.Endpoint + "/") })
        {
            using var sent = await sender.PostAsJsonAsync("api/v1/prefetch", new Grains.Prefetch.PrefetchRequest("rp", [], MetadataOnly: true, LocalOnly: true));
            captured = await capture.Request;
        }

        Assert.StartsWith("POST /api/v1/prefetch ", captured.RequestLine, StringComparison.Ordinal);
        Assert.StartsWith("v2 ", captured.Header(ClusterSecret.HeaderName), StringComparison.Ordinal);

        // The same head (path, auth header) with another body: a heavier job on every node.
        var tamperedBody = JsonSerializer.SerializeToUtf8Bytes(new Grains.Prefetch.PrefetchRequest("rp", [], EveryNode: true), WebJson);
        var head = Encoding.ASCII.GetString(captured.Wire, 0, captured.Wire.Length - captured.Body.Length)
            .Replace($"Content-Length: {captured.Body.Length}\r\n", $"Content-Length: {tamperedBody.Length}\r\n", StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"Content-Length: {tamperedBody.Length}\r\n", head, StringComparison.OrdinalIgnoreCase);
        byte[] tampered = [.. Encoding.ASCII.GetBytes(head), .. tamperedBody];

        var before = (await silo.StatsAsync()).AuthRejected;
        var (status, answer) = await SendRawAsync(silo.Port, tampered);
        Assert.True(status == 401 && answer.Contains("a body other than the one signed", StringComparison.Ordinal), $"tampered before delivery: {status} {answer}");

        // The genuine delivery is served (the tampered attempt did not use up its signature) ...
        (status, answer) = await SendRawAsync(silo.Port, captured.Wire);
        Assert.True(status == 202, $"genuine delivery: {status} {answer}");

        // ... its byte-identical replay is refused, and so is the other body again.
        (status, answer) = await SendRawAsync(silo.Port, captured.Wire);
        Assert.True(status == 401 && answer.Contains("a replayed signature", StringComparison.Ordinal), $"replay: {status} {answer}");
        (status, answer) = await SendRawAsync(silo.Port, tampered);
        Assert.True(status == 401 && answer.Contains("a body other than the one signed", StringComparison.Ordinal), $"tampered after delivery: {status} {answer}");
        Assert.Equal(3, (await silo.StatsAsync()).AuthRejected - before);

        // A freshly signed request still works; the silo started exactly the two jobs that were signed and sent.
        using (var fresh = await signed.PostAsJsonAsync("api/v1/prefetch", new Grains.Prefetch.PrefetchRequest("rp", [], MetadataOnly: true, LocalOnly: true)))
        {
            Assert.True(fresh.StatusCode == HttpStatusCode.Accepted, $"{(int)fresh.StatusCode} {await fresh.Content.ReadAsStringAsync()}");
        }

        var jobs = await signed.GetFromJsonAsync<List<Grains.Prefetch.PrefetchJobStatus>>("api/v1/prefetch");
        Assert.Equal(2, jobs!.Count);
        Assert.All(jobs, j => Assert.True(j.MetadataOnly, "a job started from the tampered body"));
        await WaitForAsync(() => silo.Log.Contains("a replayed signature", StringComparison.Ordinal), "the replay's rejection log line");
    }

    /// <summary>Sends <paramref name="wire"/> as is on a new connection; returns the answer's status and body.</summary>
    private static async Task<(int Status, string Body)> SendRawAsync(int port, byte[] wire)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(wire);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync() ?? throw new IOException("no answer");
        var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await reader.ReadLineAsync() is { Length: > 0 } line)
        {
            var parts = line.Split(':', 2);
            headers[parts[0].Trim()] = parts[1].Trim();
        }

        var body = new StringBuilder();
        if (headers.TryGetValue("Content-Length", out var length))
        {
            var chars = new char[int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)];
            await reader.ReadBlockAsync(chars);
            body.Append(chars);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (await reader.ReadLineAsync() is { } size && int.Parse(size.Split(';')[0], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) is var n and > 0)
            {
                var chars = new char[n];
                await reader.ReadBlockAsync(chars);
                body.Append(chars);
                await reader.ReadLineAsync();
            }
        }

        return (status, body.ToString());
    }

    private async Task<(string Id, DirectoryListing Listing)> ListAsync(SiloProcess silo, string name, HttpClient? client = null)
    {
        using var own = client is null ? new HttpClient(ClusterAuthHandler.Wrap(ClusterSecret.FromText(SecretText, "test"), new SocketsHttpHandler())) { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") } : null;
        var http = client ?? own!;
        var record = JsonDocument.Parse(await GetOkAsync(http, $"api/v1/snapshots/{name}")).RootElement;
        var id = record.GetProperty("id").GetString()!;
        return (id, JsonSerializer.Deserialize<DirectoryListing>(await GetOkAsync(http, $"api/v1/snapshots/{name}/list?id={id}&path="), WebJson)!);
    }

    /// <summary>A GET that must succeed; a failure names the status and the silo's error, not only the status code.</summary>
    private static async Task<string> GetOkAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} on {http.BaseAddress} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    private static string PeerWarnings(SiloProcess silo) =>
        string.Join(" | ", silo.Log.Split('\n').Where(l => l.Contains("did not deliver", StringComparison.Ordinal) || l.Contains("does not answer", StringComparison.Ordinal)));
}
