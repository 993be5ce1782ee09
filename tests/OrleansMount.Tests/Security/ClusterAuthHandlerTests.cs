using System.Net;
using System.Net.Http.Json;
using OrleansMount.Core.Security;
using OrleansMount.Tests.Chunks;

namespace OrleansMount.Tests.Security;

/// <summary>The client side: what the signing handler puts on the wire is what the silo's verifier accepts, once.</summary>
[UnitTest]
public sealed class ClusterAuthHandlerTests
{
    private readonly ClusterSecret _secret = ClusterSecret.FromText("correct horse battery staple", "test");
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public async Task A_json_body_is_signed_and_sent_as_the_same_bytes_with_its_headers()
    {
        var inner = new Recorder();
        using var http = new HttpClient(new ClusterAuthHandler(_secret, inner, _clock)) { BaseAddress = new Uri("http://silo/") };
        using var response = await http.PostAsJsonAsync("api/v1/prefetch?x=1", new { snapshot = "au", paths = new[] { "a b/c" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (method, target, header, body, contentType) = Assert.Single(inner.Requests);
        Assert.Equal("application/json; charset=utf-8", contentType);
        Assert.Contains("\"a b/c\"", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);

        var verifier = new RequestVerifier(_secret, _clock);
        Assert.True(verifier.Verify(header, method, target, body).IsValid);
        Assert.Equal(SignatureFault.ReplayedNonce, verifier.Verify(header, method, target, body).Fault);
    }

    [Fact]
    public async Task A_request_without_a_body_is_signed_too_and_each_call_gets_a_fresh_nonce()
    {
        var inner = new Recorder();
        using var http = new HttpClient(new ClusterAuthHandler(_secret, inner, _clock)) { BaseAddress = new Uri("http://silo/") };
        (await http.GetAsync("api/v1/snapshots/au/list?id=x&path=d%20e")).Dispose();
        (await http.GetAsync("api/v1/snapshots/au/list?id=x&path=d%20e")).Dispose();
        var verifier = new RequestVerifier(_secret, _clock);
        foreach (var (method, target, header, body, _) in inner.Requests)
        {
            Assert.Equal("/api/v1/snapshots/au/list?id=x&path=d%20e", target);
            Assert.Empty(body);
            Assert.True(verifier.Verify(header, method, target, body).IsValid);
        }
    }

    private sealed class Recorder : HttpMessageHandler
    {
        public List<(string Method, string Target, string Header, byte[] Body, string? ContentType)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            Requests.Add((request.Method.Method, request.RequestUri!.PathAndQuery, request.Headers.GetValues(ClusterSecret.HeaderName).Single(), body, request.Content?.Headers.ContentType?.ToString()));
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
