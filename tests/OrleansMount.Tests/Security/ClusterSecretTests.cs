using OrleansMount.Core;
using OrleansMount.Core.Security;

namespace OrleansMount.Tests.Security;

public sealed class ClusterSecretTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private readonly ClusterSecret _secret = ClusterSecret.FromText("correct horse battery staple", "test");

    [Fact]
    public void A_signature_verifies_for_the_same_request_within_the_allowed_skew()
    {
        var header = _secret.Sign("POST", "/api/v1/peer/chunks/data", Now);
        Assert.True(_secret.Verify(header, "POST", "/api/v1/peer/chunks/data", Now));
        Assert.True(_secret.Verify(header, "post", "/api/v1/peer/chunks/data", Now + TimeSpan.FromMinutes(4)));
        Assert.DoesNotContain("horse", header, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_does_not_verify_for_another_request_secret_or_time()
    {
        var header = _secret.Sign("GET", "/api/v1/peer/ranges/range/00?x=1", Now);
        Assert.False(_secret.Verify(header, "GET", "/api/v1/peer/ranges/range/01?x=1", Now));
        Assert.False(_secret.Verify(header, "GET", "/api/v1/peer/ranges/range/00?x=2", Now));
        Assert.False(_secret.Verify(header, "POST", "/api/v1/peer/ranges/range/00?x=1", Now));
        Assert.False(_secret.Verify(header, "GET", "/api/v1/peer/ranges/range/00?x=1", Now + TimeSpan.FromMinutes(6)));
        Assert.False(_secret.Verify(header, "GET", "/api/v1/peer/ranges/range/00?x=1", Now - TimeSpan.FromMinutes(6)));
        Assert.False(ClusterSecret.FromText("another secret of some length", "test").Verify(header, "GET", "/api/v1/peer/ranges/range/00?x=1", Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1")]
    [InlineData("v2 1700000000 00")]
    [InlineData("v1 notanumber 0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("v1 1795334400 zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("v1 1795334400 00")]
    public void Malformed_headers_never_verify(string? header) => Assert.False(_secret.Verify(header, "GET", "/", Now));

    [Fact]
    public void Short_or_unreadable_secrets_are_refused_with_what_to_do()
    {
        var shortOne = Assert.Throws<OrleansMountException>(() => ClusterSecret.FromText("  short  ", "test"));
        Assert.Contains("/dev/urandom", shortOne.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<OrleansMountException>(() => ClusterSecret.FromFile("/nonexistent/secret"));
        Assert.Contains("/nonexistent/secret", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_secret_never_shows_in_its_description() =>
        Assert.DoesNotContain("horse", _secret.ToString(), StringComparison.Ordinal);
}
