using System.Diagnostics;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>
/// The latency proxy (tests/tools/OrleansMount.LatencyProxy) in front of a real s3rver, used
/// through the repository's <see cref="S3ObjectStore"/>. Timing assertions are lower bounds only:
/// a slow machine can make a request slower, never faster than what the proxy imposes.
/// </summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class LatencyProxyTests(S3rverServer server)
{
    [Fact]
    public async Task A_get_through_the_proxy_returns_the_same_bytes_and_etag_as_s3rver()
    {
        var (bucket, key, data) = await SeedAsync(3 * 1024 * 1024 + 123);
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint);
        using var direct = server.CreateStore(StoreUri.S3(bucket));
        using var proxied = Through(proxy, bucket);

        var whole = new byte[data.Length];
        Assert.Equal(data.Length, await proxied.ReadAsync(key, 0, whole, null));
        Assert.Equal(data, whole);
        var slice = new byte[100_000];
        Assert.Equal(slice.Length, await proxied.ReadAsync(key, 2_000_000, slice, null));
        Assert.Equal(data.AsSpan(2_000_000, slice.Length).ToArray(), slice);

        var viaProxy = await proxied.HeadAsync(key);
        var viaServer = await direct.HeadAsync(key);
        Assert.NotNull(viaProxy);
        Assert.Equal(viaServer, viaProxy);

        var stats = await proxy.StatsAsync();
        Assert.Equal(3, stats.Forwarded);
        Assert.True(stats.BytesToClients >= data.Length + slice.Length, $"{stats.BytesToClients} bytes went through");
    }

    [Fact]
    public async Task A_request_reaches_the_target_unchanged_with_the_clients_host_path_query_and_signature()
    {
        // s3rver checks the access key id but not the signature, so a capture of what arrives is
        // the proof that a SigV4 signature made for the proxy's address would verify at the target.
        using var target = new RequestCapture();
        await using var proxy = await LatencyProxyProcess.StartAsync(target.Endpoint);
        var rawTarget = "/bucket/dir/a%20b%2Bc/%7Etilde%21.bin?list-type=2&prefix=a%2Fb&x-id=GetObject";
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(proxy.Endpoint + rawTarget, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
        {
            Content = new ByteArrayContent(Bytes(3, 1234)),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=S3RVER/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123abcd");
        request.Headers.TryAddWithoutValidation("x-amz-date", "20250101T000000Z");
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        request.Content.Headers.TryAddWithoutValidation("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA==");
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

        var seen = await target.Request;
        var proxyHost = new Uri(proxy.Endpoint).Authority;
        Assert.Equal($"PUT {rawTarget} HTTP/1.1", seen.RequestLine);
        Assert.Equal(proxyHost, seen.Header("Host"));
        Assert.Equal(request.Headers.GetValues("Authorization").Single(), seen.Header("Authorization"));
        Assert.Equal("20250101T000000Z", seen.Header("x-amz-date"));
        Assert.Equal("UNSIGNED-PAYLOAD", seen.Header("x-amz-content-sha256"));
        Assert.Equal("AAAAAAAAAAAAAAAAAAAAAA==", seen.Header("Content-MD5"));
        Assert.Equal("1234", seen.Header("Content-Length"));
        Assert.Equal(Bytes(3, 1234), seen.Body);
    }

    [Fact]
    public async Task A_wrong_access_key_is_refused_through_the_proxy_as_it_is_directly()
    {
        var (bucket, key, _) = await SeedAsync(1000);
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint);
        using var wrongDirect = server.CreateStore(StoreUri.S3(bucket), o => o with { AccessKey = "WRONG" });
        using var wrongProxied = Through(proxy, bucket, o => o with { AccessKey = "WRONG" });

        var direct = await Assert.ThrowsAsync<ObjectStoreException>(() => wrongDirect.ReadAsync(key, 0, new byte[10], null));
        var proxied = await Assert.ThrowsAsync<ObjectStoreException>(() => wrongProxied.ReadAsync(key, 0, new byte[10], null));
        Assert.Equal(direct.Message.Replace(server.Endpoint, "ENDPOINT", StringComparison.Ordinal), proxied.Message.Replace(proxy.Endpoint, "ENDPOINT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Listings_and_uploads_pass_through()
    {
        var bucket = await server.CreateUniqueBucketAsync();
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint);
        using var proxied = Through(proxy, bucket, o => o with { MultipartThreshold = 1 << 20, MultipartPartSize = 384 << 10 });
        using var direct = server.CreateStore(StoreUri.S3(bucket));

        var small = Bytes(7, 5000);
        var large = Bytes(8, (2 << 20) + 17); // multipart: 6 parts
        await proxied.PutAsync("dir/small.bin", small);
        await proxied.PutAsync("dir/sub/large.bin", large);
        for (var i = 0; i < 25; i++)
        {
            await proxied.PutAsync($"many/{i:D3}", Bytes(i, 10 + i));
        }

        var viaProxy = await Collect(proxied.ListAsync(""));
        var viaServer = await Collect(direct.ListAsync(""));
        Assert.Equal(27, viaProxy.Count);
        Assert.Equal(viaServer, viaProxy);

        var back = new byte[large.Length];
        Assert.Equal(large.Length, await direct.ReadAsync("dir/sub/large.bin", 0, back, null));
        Assert.Equal(large, back);
        back = new byte[small.Length];
        Assert.Equal(small.Length, await direct.ReadAsync("dir/small.bin", 0, back, null));
        Assert.Equal(small, back);
    }

    [Fact]
    public async Task Time_to_first_byte_is_at_least_what_is_configured()
    {
        const int ttfbMs = 150;
        var (bucket, key, data) = await SeedAsync(10_000);
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint, ttfbMs: ttfbMs);
        using var proxied = Through(proxy, bucket);
        await proxied.HeadAsync(key); // connection set up outside the measurement

        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            Assert.NotNull(await proxied.HeadAsync(key));
            Assert.True(watch.ElapsedMilliseconds >= ttfbMs, $"HEAD took {watch.ElapsedMilliseconds} ms");

            watch.Restart();
            Assert.Equal(100, await proxied.ReadAsync(key, 0, new byte[100], null));
            Assert.True(watch.ElapsedMilliseconds >= ttfbMs, $"GET took {watch.ElapsedMilliseconds} ms");
        }

        Assert.True(data.Length > 0);
    }

    [Fact]
    public async Task Bandwidth_per_request_is_at_most_what_is_configured_both_ways()
    {
        const double mbps = 16; // 2,000,000 bytes/s
        const double bytesPerSecond = mbps * 1_000_000 / 8;
        var (bucket, key, data) = await SeedAsync(1_000_000);
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint, bandwidthMbps: mbps);
        using var proxied = Through(proxy, bucket);
        await proxied.HeadAsync(key);

        var watch = Stopwatch.StartNew();
        var buffer = new byte[data.Length];
        Assert.Equal(data.Length, await proxied.ReadAsync(key, 0, buffer, null));
        var download = watch.Elapsed.TotalSeconds;
        Assert.Equal(data, buffer);

        watch.Restart();
        await proxied.PutAsync("uploaded", data);
        var upload = watch.Elapsed.TotalSeconds;

        // The pacer never lets a body run ahead of the rate. It waits after each slice (about 20 ms worth), so the last
        // slice leaves once the bytes before it have had their time: no earlier than (length − one slice) ÷ rate.
        var slice = Math.Clamp(bytesPerSecond / 50, 4 * 1024, 64 * 1024); // BandwidthPacer.SliceLength
        var floor = (data.Length - slice) / bytesPerSecond;
        Assert.True(download >= floor, $"1,000,000 bytes downloaded in {download:0.000} s, at least {floor:0.000} s expected");
        Assert.True(upload >= floor, $"1,000,000 bytes uploaded in {upload:0.000} s, at least {floor:0.000} s expected");
    }

    [Fact]
    public async Task SlowDown_and_reset_on_the_first_request_are_retried_and_counted()
    {
        var (bucket, key, data) = await SeedAsync(4096);
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint, 0, 0, "503:methods=GET,first=1", "reset:methods=HEAD,first=1");
        using var proxied = Through(proxy, bucket);

        var buffer = new byte[data.Length];
        Assert.Equal(data.Length, await proxied.ReadAsync(key, 0, buffer, null));
        Assert.Equal(data, buffer);
        Assert.NotNull(await proxied.HeadAsync(key));

        var stats = await proxy.StatsAsync();
        Assert.Equal(1, stats.Injected("SlowDown"));
        Assert.Equal(1, stats.Injected("Reset"));
        Assert.Equal(2, stats.Forwarded); // the two retries
    }

    [Fact]
    public async Task Internal_errors_on_every_request_fail_the_read_with_the_s3_error_code()
    {
        var (bucket, key, _) = await SeedAsync(100);
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint, 0, 0, "500");
        using var proxied = Through(proxy, bucket, o => o with { Retry = new ObjectStoreRetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(10) } });

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => proxied.ReadAsync(key, 0, new byte[10], null));
        Assert.Contains("InternalError", error.Message, StringComparison.Ordinal);
        var stats = await proxy.StatsAsync();
        Assert.Equal(2, stats.Injected("InternalError")); // the request and its one retry
        Assert.Equal(0, stats.Forwarded);
    }

    [Fact]
    public async Task Stall_and_reset_mid_body_cut_a_response_after_its_headers()
    {
        var bucket = await server.CreateUniqueBucketAsync("proxy");
        server.SeedObject(bucket, "cut/object.bin", Bytes(1, 200_000));
        server.SeedObject(bucket, "stalled/object.bin", Bytes(2, 200_000));
        await using var proxy = await LatencyProxyProcess.StartAsync(server.Endpoint, 0, 0, "stall:path=/stalled/", "reset-body:path=/cut/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // Unsigned requests are enough here (s3rver serves them): what matters is a body cut short.
        using (var response = await http.GetAsync(new Uri($"{proxy.Endpoint}/{bucket}/cut/object.bin"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(200_000, response.Content.Headers.ContentLength);
            await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());
        }

        using (var response = await http.GetAsync(new Uri($"{proxy.Endpoint}/{bucket}/stalled/object.bin"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            using var patience = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var body = await response.Content.ReadAsStreamAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await body.ReadExactlyAsync(new byte[1], patience.Token));
        }

        var stats = await proxy.StatsAsync();
        Assert.Equal(1, stats.Injected("ResetMidBody"));
        Assert.Equal(1, stats.Injected("Stall"));
        Assert.True(stats.BytesToClients is >= 100_000 and < 200_000, $"{stats.BytesToClients} bytes sent");
    }

    [Fact]
    public async Task Bad_arguments_exit_2_naming_what_to_pass()
    {
        var result = await ProcessRunner.RunAsync(RepoPaths.LatencyProxy, ["--target", server.Endpoint, "--fault", "503:every=zero"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("every=zero is not a positive whole number", result.StandardError, StringComparison.Ordinal);
    }

    private S3ObjectStore Through(LatencyProxyProcess proxy, string bucket, Func<S3ObjectStoreOptions, S3ObjectStoreOptions>? adjust = null) =>
        server.CreateStore(StoreUri.S3(bucket), o => (adjust ?? (x => x))(o with { ServiceUrl = proxy.Endpoint }));

    private async Task<(string Bucket, string Key, byte[] Data)> SeedAsync(int length)
    {
        var bucket = await server.CreateUniqueBucketAsync("proxy");
        var data = Bytes(length, length);
        server.SeedObject(bucket, "data/object.bin", data);
        return (bucket, "data/object.bin", data);
    }

    private static byte[] Bytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<List<ObjectInfo>> Collect(IAsyncEnumerable<ObjectInfo> items)
    {
        var list = new List<ObjectInfo>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
