using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OrleansMount.Core.Placement;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Security;

/// <summary>
/// Mutual TLS between silos (<c>--tls-certificate</c>) and a Redis password (<c>--redis-password-file</c>,
/// <c>ORLEANSMOUNT_REDIS_PASSWORD</c>), with real silo processes, a redis-server with <c>requirepass</c> and s3rver:
/// silos holding the cluster certificate form a cluster and copy chunks from each other; a silo with another
/// certificate, or with none, never becomes an active member and the others keep serving; a silo without the
/// Redis password, or with a wrong one, stops at start saying so (exit 3). Reads go through the HTTP data
/// endpoint (no kernel mount), signed with the cluster secret; unsigned reads and prefetch starts and cancels are refused.
/// </summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class ClusterTlsTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-tls-")
{
    private const string SecretText = "tls-test-cluster-secret-4d1e9a7c";
    private const string RedisPasswordText = "redis-password-for-the-tls-test-0b7f";
    private const string PfxPassword = "pfx-password-3c9e";
    private const string RedisPasswordVariable = "ORLEANSMOUNT_REDIS_PASSWORD";
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Silos_with_the_cluster_certificate_form_a_cluster_and_a_silo_with_another_certificate_or_none_never_joins()
    {
        using var redis = await RedisServer.StartAsync(password: RedisPasswordText);
        var (catalog, files) = await SeedAndImportAsync("tls", "tl", 12, 50_000, 600_000, i => $"f{i:D2}.bin");
        using var clusterCertificate = TestCertificates.Create("orleansmount-cluster");
        // Same name, another key: only the certificate's bytes tell it apart.
        using var otherCertificate = TestCertificates.Create("orleansmount-cluster");
        var pfx = Path.Combine(Temp.Path, "cluster.pfx");
        var pem = Path.Combine(Temp.Path, "cluster.pem");
        var otherPem = Path.Combine(Temp.Path, "other.pem");
        TestCertificates.WritePfx(clusterCertificate, pfx, PfxPassword);
        TestCertificates.WritePem(clusterCertificate, pem);
        TestCertificates.WritePem(otherCertificate, otherPem);
        var secretFile = await WriteSecretFileAsync("secret", SecretText);
        var redisPasswordFile = await WriteSecretFileAsync("redis-password", RedisPasswordText);
        var cluster = "t" + Guid.NewGuid().ToString("N")[..8];
        var siloPorts = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] Args(string name, params string[] more)
        {
            siloPorts[name] = SiloProcess.FreePort();
            return ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, "--silo-port", siloPorts[name].ToString(CultureInfo.InvariantCulture), "--secret-file", secretFile, "--peer-timeout", "60s", .. more];
        }

        // node-a reads the certificate as PKCS#12 (its password from the environment) and the Redis password from a
        // file; node-b the same certificate as PEM and the Redis password from the environment.
        var a = await StartSiloAsync(catalog, Temp.Sub("cache-a"), Path.Combine(Temp.Path, "a.sock"), Args("node-a", "--tls-certificate", pfx, "--redis-password-file", redisPasswordFile), environment: new Dictionary<string, string?> { [ClusterCertificate.PasswordVariable] = PfxPassword });
        var b = await StartSiloAsync(catalog, Temp.Sub("cache-b"), Path.Combine(Temp.Path, "b.sock"), Args("node-b", "--tls-certificate", pem), environment: new Dictionary<string, string?> { [RedisPasswordVariable] = RedisPasswordText });
        await WaitForActiveAsync(a, 2);
        await WaitForActiveAsync(b, 2);
        var fingerprint = ClusterCertificate.FingerprintOf(clusterCertificate);
        foreach (var silo in new[] { a, b })
        {
            await WaitForAsync(() => silo.Log.Contains($"use mutual TLS with the cluster certificate CN=orleansmount-cluster (SHA-256 {fingerprint})", StringComparison.Ordinal), "the TLS log line");
            Assert.Contains("is opened with the Redis password from", silo.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("no TLS certificate", silo.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("no Redis password", silo.Log, StringComparison.Ordinal);
        }

        // The Orleans port speaks TLS and presents the cluster certificate (a client without one is then dropped).
        using (var presented = await PresentedCertificateAsync(siloPorts["node-a"]))
        {
            Assert.Equal(clusterCertificate.RawData, presented.RawData);
        }

        // Reads through node-a of chunks node-b owns are copied from node-b.
        var secret = ClusterSecret.FromText(SecretText, "test");
        using var signedA = SignedClient(secret, a);
        var (snapshotId, listing) = await ListAsync(signedA, "tl");
        var placement = new PlacementView([new("node-a", 2L << 30), new("node-b", 2L << 30)]);
        Assert.Contains(listing.Items, item => placement.OwnerOf(PlacementKey.Of(Chunk(item, "tl", snapshotId).Id)) == "node-b");
        await ReadAllAsync(signedA, listing, snapshotId, files);
        var statsA = await a.StatsAsync();
        output.WriteLine($"node-a: {statsA.PeerFetches} chunks copied from node-b, {statsA.OwnerFallbacks} fallbacks, {statsA.ObjectStoreGets} object-store GETs");
        Assert.True(statsA.PeerFetches > 0, "no chunk was copied from node-b: the silo-to-silo path was not exercised");
        Assert.Equal(0, statsA.OwnerFallbacks);

        // A silo with another certificate (and the right Redis password and cluster secret) never becomes active.
        var rogue = await JoinAttemptAsync(catalog, [.. Args("node-x", "--tls-certificate", otherPem, "--redis-password-file", redisPasswordFile)], a, redis, cluster);
        output.WriteLine($"node-x (another certificate): {rogue.Outcome}");
        Assert.False(rogue.EverActive, $"node-x became an active member: {rogue.Outcome}\n{rogue.Log}");
        Assert.True(rogue.ExitCode is null or not 0, rogue.Log);
        Assert.Contains("refused a silo-to-silo connection: the peer presented the certificate CN=orleansmount-cluster", rogue.Log, StringComparison.Ordinal);
        Assert.Contains($"not the cluster certificate (SHA-256 {ClusterCertificate.FingerprintOf(otherCertificate)})", rogue.Log, StringComparison.Ordinal);
        var refusedByMembers = (await a.StatsAsync()).TlsRejected + (await b.StatsAsync()).TlsRejected;
        Assert.True(refusedByMembers > 0, "neither member counted a refused certificate");
        await WaitForAsync(() => a.Log.Contains("refused a silo-to-silo connection", StringComparison.Ordinal) || b.Log.Contains("refused a silo-to-silo connection", StringComparison.Ordinal), "a member's refusal log line");

        // A silo without TLS never becomes active either, and says why it may not.
        var plain = await JoinAttemptAsync(catalog, [.. Args("node-y", "--redis-password-file", redisPasswordFile)], a, redis, cluster);
        output.WriteLine($"node-y (no certificate): {plain.Outcome}");
        Assert.False(plain.EverActive, $"node-y became an active member: {plain.Outcome}\n{plain.Log}");
        Assert.True(plain.ExitCode is null or not 0, plain.Log);
        Assert.Contains("no TLS certificate: silo-to-silo traffic on", plain.Log, StringComparison.Ordinal);

        // The two members keep serving each other: node-b reads what node-a owns from node-a.
        await WaitForActiveAsync(a, 2);
        await WaitForActiveAsync(b, 2);
        foreach (var silo in new[] { a, b })
        {
            Assert.All((await silo.MembersAsync()).Members.Where(m => m.Status == "Active"), m => Assert.Contains(m.SiloId, new[] { "node-a", "node-b" }));
        }

        using var signedB = SignedClient(secret, b);
        await ReadAllAsync(signedB, listing, snapshotId, files);
        var statsB = await b.StatsAsync();
        Assert.True(statsB.PeerFetches > 0, "node-b copied nothing from node-a after the failed joins");
        Assert.Equal(0, statsB.OwnerFallbacks);

        // A process without the cluster secret reads no chunk and starts or cancels no prefetch job.
        using var unsigned = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{a.Port}/") };
        var rejectedBefore = (await a.StatsAsync()).AuthRejected;
        using (var read = await unsigned.PostAsJsonAsync("api/v1/chunks/data", Chunk(listing.Items[0], "tl", snapshotId)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        }

        using (var start = await unsigned.PostAsJsonAsync("api/v1/prefetch", new PrefetchRequest("tl", [])))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
        }

        PrefetchJobStatus job;
        using (var started = await signedA.PostAsJsonAsync("api/v1/prefetch", new PrefetchRequest("tl", [], MetadataOnly: true, LocalOnly: true)))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            job = (await started.Content.ReadFromJsonAsync<PrefetchJobStatus>(WebJson))!;
        }

        using (var cancel = await unsigned.PostAsync($"api/v1/prefetch/{job.Id}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, cancel.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await unsigned.GetAsync($"api/v1/prefetch/{job.Id}")).StatusCode);
        var after = (await signedA.GetFromJsonAsync<PrefetchJobStatus>($"api/v1/prefetch/{job.Id}", WebJson))!;
        Assert.NotEqual(PrefetchState.Cancelled, after.State);
        Assert.Equal(4, (await a.StatsAsync()).AuthRejected - rejectedBefore);

        // Neither password nor secret is in a log or on a command line.
        foreach (var silo in Silos)
        {
            foreach (var text in new[] { silo.Log, await File.ReadAllTextAsync($"/proc/{silo.Pid}/cmdline") })
            {
                Assert.DoesNotContain(RedisPasswordText, text, StringComparison.Ordinal);
                Assert.DoesNotContain(PfxPassword, text, StringComparison.Ordinal);
                Assert.DoesNotContain(SecretText, text, StringComparison.Ordinal);
            }
        }

        foreach (var log in new[] { rogue.Log, plain.Log })
        {
            Assert.DoesNotContain(RedisPasswordText, log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_silo_without_the_redis_password_or_with_a_wrong_one_stops_at_start_saying_so()
    {
        using var redis = await RedisServer.StartAsync(password: RedisPasswordText);
        var (catalog, _) = await SeedAndImportAsync("rpw", "rp", 2, 10_000, 20_000, i => $"r{i}.bin");
        var cluster = "p" + Guid.NewGuid().ToString("N")[..8];
        var wrongFile = await WriteSecretFileAsync("wrong-password", "not-the-redis-password");
        string[] Args(string name, params string[] more) =>
        [
            "--catalog", catalog, "--cache-dir", Temp.Sub("cache-" + name), "--socket", Path.Combine(Temp.Path, name + ".sock"),
            "--listen", $"127.0.0.1:{SiloProcess.FreePort()}", "--silo-port", SiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, .. more,
        ];

        var env = Env;
        env[RedisPasswordVariable] = null;
        var without = await ProcessRunner.RunAsync(RepoPaths.Silo, Args("node-n"), env, TimeSpan.FromSeconds(90));
        Assert.True(without.ExitCode == 3, without.ToString());
        Assert.Contains($"cannot join cluster '{cluster}': Redis at {redis.Configuration} requires a password: set ORLEANSMOUNT_REDIS_PASSWORD or --redis-password-file", without.StandardError, StringComparison.Ordinal);
        Assert.Contains("no Redis password: any process that reaches redis", without.StandardError, StringComparison.Ordinal);

        var wrong = await ProcessRunner.RunAsync(RepoPaths.Silo, Args("node-w", "--redis-password-file", wrongFile), env, TimeSpan.FromSeconds(90));
        Assert.True(wrong.ExitCode == 3, wrong.ToString());
        Assert.Contains($"cannot join cluster '{cluster}': Redis at {redis.Configuration} refused the Redis password from file {wrongFile}", wrong.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-redis-password", wrong.StandardError, StringComparison.Ordinal);

        // With it the silo starts and serves reads (the TLS test above covers a cluster of two).
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache-ok"), Path.Combine(Temp.Path, "ok.sock"), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", "node-ok"], environment: new Dictionary<string, string?> { [RedisPasswordVariable] = RedisPasswordText });
        await WaitForActiveAsync(silo, 1);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };
        var (id, listing) = await ListAsync(http, "rp");
        using var read = await http.PostAsJsonAsync("api/v1/chunks/data", Chunk(listing.Items[0], "rp", id));
        Assert.True(read.IsSuccessStatusCode, $"{(int)read.StatusCode} {await read.Content.ReadAsStringAsync()}");
    }

    /// <summary>The outcome of starting a silo that should not get into the cluster.</summary>
    private sealed record JoinAttempt(int? ExitCode, bool EverActive, string Outcome, string Log);

    /// <summary>
    /// Runs a silo with <paramref name="args"/> until it exits (at most 60 s, then it is killed), watching every
    /// 100 ms for it as Active both in <paramref name="member"/>'s <c>/api/v1/members</c> and in Orleans' membership
    /// table in <paramref name="redis"/> (the record every silo's view is built from).
    /// </summary>
    private async Task<JoinAttempt> JoinAttemptAsync(string catalog, string[] args, SiloProcess member, RedisServer redis, string cluster)
    {
        var name = args[Array.IndexOf(args, "--silo-id") + 1];
        string[] full = ["--catalog", catalog, "--cache-dir", Temp.Sub("cache-" + name), "--socket", Path.Combine(Temp.Path, name + ".sock"), "--listen", $"127.0.0.1:{SiloProcess.FreePort()}", .. args];
        var clock = Stopwatch.StartNew();
        var run = ProcessRunner.RunAsync(RepoPaths.Silo, full, Env, TimeSpan.FromSeconds(60));
        var everActive = false;
        var viewed = new List<string>();
        var tabled = new List<string>();
        while (!run.IsCompleted)
        {
            var view = (await member.MembersAsync()).Members.FirstOrDefault(m => m.SiloId == name)?.Status ?? "absent";
            var table = await TableStatusAsync(redis, cluster, name);
            everActive |= view == "Active" || table == "Active";
            Note(viewed, view);
            Note(tabled, table);
            await Task.WhenAny(run, Task.Delay(100));
        }

        Note(tabled, await TableStatusAsync(redis, cluster, name));
        var seen = $"in node-a's view {string.Join(" -> ", viewed)}; in the membership table {string.Join(" -> ", tabled)}";
        try
        {
            var result = await run;
            return new JoinAttempt(result.ExitCode, everActive, $"exit {result.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s; {seen}", result.StandardOutput + result.StandardError);
        }
        catch (TimeoutException)
        {
            return new JoinAttempt(null, everActive, $"still running after 60 s (killed); {seen}", "(killed: no output captured)");
        }

        static void Note(List<string> statuses, string status)
        {
            if (statuses.Count == 0 || statuses[^1] != status)
            {
                statuses.Add(status);
            }
        }
    }

    /// <summary>A silo's status in the Orleans Redis membership table (hash <c>orleansmount/members/CLUSTER</c>, one JSON entry per silo generation).</summary>
    private static async Task<string> TableStatusAsync(RedisServer redis, string cluster, string name)
    {
        string[] statuses = ["None", "Created", "Joining", "Active", "ShuttingDown", "Stopping", "Dead"];
        var entries = (await redis.HashValuesAsync($"orleansmount/members/{cluster}"))
            .Where(v => v.StartsWith('{'))
            .Select(v => JsonSerializer.Deserialize<JsonElement>(v))
            .Where(e => e.GetProperty("SiloName").GetString() == name)
            .Select(e => e.GetProperty("Status").GetInt32())
            .ToList();
        return entries.Count == 0 ? "absent" : string.Join("+", entries.Select(s => s < statuses.Length ? statuses[s] : s.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Opens a TLS connection to an Orleans port without a client certificate and returns the certificate the silo presented.</summary>
    private static async Task<X509Certificate2> PresentedCertificateAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return true;
        });
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "orleansmount" });
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // The silo may drop us for presenting no certificate of our own: we have seen its certificate by then.
        }

        return presented ?? throw new Xunit.Sdk.XunitException($"the Orleans port {port} presented no TLS certificate");
    }

    private async Task<string> WriteSecretFileAsync(string name, string text)
    {
        var path = Path.Combine(Temp.Path, name);
        await File.WriteAllTextAsync(path, text + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static HttpClient SignedClient(ClusterSecret secret, SiloProcess silo) =>
        new(ClusterAuthHandler.Wrap(secret, new SocketsHttpHandler())) { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };

    /// <summary>The first (for these small files, the only) chunk of a listed file.</summary>
    private static ChunkRequest Chunk(ListingItem item, string snapshot, string snapshotId) => new(item.Address!, item.ETag!, item.Size, 0, 4 * MiB, snapshot, snapshotId);

    private static async Task ReadAllAsync(HttpClient http, DirectoryListing listing, string snapshotId, Dictionary<string, byte[]> files)
    {
        foreach (var item in listing.Items)
        {
            using var response = await http.PostAsJsonAsync("api/v1/chunks/data", Chunk(item, "tl", snapshotId));
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.IsSuccessStatusCode, $"{item.Name}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
            Assert.True(files[item.Name].AsSpan().SequenceEqual(body), $"content of {item.Name} through {http.BaseAddress}");
        }
    }

    private static async Task<(string Id, DirectoryListing Listing)> ListAsync(HttpClient http, string name)
    {
        using var record = JsonDocument.Parse(await http.GetStringAsync($"api/v1/snapshots/{name}"));
        var id = record.RootElement.GetProperty("id").GetString()!;
        var listing = JsonSerializer.Deserialize<DirectoryListing>(await http.GetStringAsync($"api/v1/snapshots/{name}/list?id={id}&path="), WebJson)!;
        return (id, listing);
    }
}
