using System.Net;
using System.Net.Http.Json;
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
public sealed class ClusterAuthTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-auth-"), IClassFixture<RedisServer>
{
    private const string SecretText = "s3cr3t-for-the-auth-test-9f1c2e";

    [Fact]
    public async Task Only_callers_with_the_cluster_secret_are_served()
    {
        var (catalog, files) = await SeedAndImportAsync("aut", "au", 12, 50_000, 600_000, i => $"f{i:D2}.bin");
        var secretFile = Path.Combine(Temp.Path, "secret");
        await File.WriteAllTextAsync(secretFile, SecretText + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cluster = "a" + Guid.NewGuid().ToString("N")[..8];
        string[] Args(string name, string file) => ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, "--secret-file", file];
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
        Assert.True(statsA.PeerFetches > 0, "no chunk was copied from node-b: the peer path was not exercised");
        Assert.Equal(0, statsA.OwnerFallbacks);

        // Requests to node-b over TCP: unsigned, signed with another secret, a signature replayed on another
        // path, and one made ten minutes ago are all refused; the read-only views are not.
        var (id, listing) = await ListAsync(b, "au");
        var request = new ChunkRequest(listing.Items[0].Address!, listing.Items[0].ETag!, listing.Items[0].Size, 0, 4 * MiB, "au", id);
        var secret = ClusterSecret.FromText(SecretText, "test");
        var forger = ClusterSecret.FromText("a-guess-at-the-secret-000000", "test");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{b.Port}/") };
        async Task<HttpStatusCode> Post(string? auth)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "api/v1/peer/chunks/data") { Content = JsonContent.Create(request) };
            if (auth is not null)
            {
                message.Headers.Add(ClusterSecret.HeaderName, auth);
            }

            using var response = await http.SendAsync(message);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                Assert.Equal(SiloError.Unauthorized, (await response.Content.ReadFromJsonAsync<SiloError>())!.Kind);
            }

            return response.StatusCode;
        }

        var before = (await b.StatsAsync()).AuthRejected;
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(forger.Sign("POST", "/api/v1/peer/chunks/data", DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(secret.Sign("POST", "/api/v1/chunks/data", DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(secret.Sign("POST", "/api/v1/peer/chunks/data", DateTimeOffset.UtcNow.AddMinutes(-10))));
        Assert.Equal(HttpStatusCode.OK, await Post(secret.Sign("POST", "/api/v1/peer/chunks/data", DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"api/v1/snapshots/au/list?id={id}&path=")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/v1/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/v1/members")).StatusCode);
        var rejected = (await b.StatsAsync()).AuthRejected - before;
        Assert.Equal(5, rejected);
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
        Assert.True(ownedByHonest > 0);
        Assert.Equal(0, intruderStats.PeerFetches);
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

    private async Task<(string Id, DirectoryListing Listing)> ListAsync(SiloProcess silo, string name, HttpClient? client = null)
    {
        using var own = client is null ? new HttpClient(ClusterAuthHandler.Wrap(ClusterSecret.FromText(SecretText, "test"), new SocketsHttpHandler())) { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") } : null;
        var http = client ?? own!;
        var record = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"api/v1/snapshots/{name}")).RootElement;
        var id = record.GetProperty("id").GetString()!;
        return (id, (await http.GetFromJsonAsync<DirectoryListing>($"api/v1/snapshots/{name}/list?id={id}&path="))!);
    }
}
