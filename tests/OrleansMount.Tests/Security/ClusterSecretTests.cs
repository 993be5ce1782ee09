using System.Text;
using OrleansMount.Core;
using OrleansMount.Core.Security;

namespace OrleansMount.Tests.Security;

[UnitTest]
public sealed class ClusterSecretTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"snapshot":"au","paths":[]}""");
    private readonly ClusterSecret _secret = ClusterSecret.FromText("correct horse battery staple", "test");

    [Fact]
    public void A_signature_checks_for_the_same_request_within_the_allowed_skew()
    {
        var header = _secret.Sign("POST", "/api/v1/peer/chunks/data", Body, Now);
        Assert.StartsWith("v2 ", header, StringComparison.Ordinal);
        Assert.True(_secret.Check(header, "POST", "/api/v1/peer/chunks/data", Now, out var signature).IsValid);
        Assert.Equal(ClusterSecret.BodyDigest(Body), signature!.BodyDigest);
        Assert.Equal(Now.ToUnixTimeSeconds(), signature.Seconds);
        Assert.True(_secret.Check(header, "post", "/api/v1/peer/chunks/data", Now + TimeSpan.FromMinutes(4), out _).IsValid);
        Assert.DoesNotContain("horse", header, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_signature_has_its_own_nonce()
    {
        var first = _secret.Sign("GET", "/api/v1/snapshots/au", [], Now);
        var second = _secret.Sign("GET", "/api/v1/snapshots/au", [], Now);
        Assert.NotEqual(first.Split(' ')[2], second.Split(' ')[2]);
    }

    [Fact]
    public void A_signature_does_not_check_for_another_request_secret_or_time()
    {
        var header = _secret.Sign("GET", "/api/v1/peer/ranges/range/00?x=1", [], Now);
        Assert.Equal(SignatureFault.BadSignature, Fault(header, "GET", "/api/v1/peer/ranges/range/01?x=1", Now));
        Assert.Equal(SignatureFault.BadSignature, Fault(header, "GET", "/api/v1/peer/ranges/range/00?x=2", Now));
        Assert.Equal(SignatureFault.BadSignature, Fault(header, "POST", "/api/v1/peer/ranges/range/00?x=1", Now));
        Assert.Equal(SignatureFault.StaleTime, Fault(header, "GET", "/api/v1/peer/ranges/range/00?x=1", Now + TimeSpan.FromMinutes(6)));
        Assert.Equal(SignatureFault.StaleTime, Fault(header, "GET", "/api/v1/peer/ranges/range/00?x=1", Now - TimeSpan.FromMinutes(6)));
        var other = ClusterSecret.FromText("another secret of some length", "test").Check(header, "GET", "/api/v1/peer/ranges/range/00?x=1", Now, out _);
        Assert.Equal(SignatureFault.BadSignature, other.Fault);
        Assert.DoesNotContain("horse", other.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_body_digest_named_in_the_header_is_covered_by_the_mac()
    {
        // Swapping the digest for that of another body breaks the HMAC: an attacker cannot re-label a body.
        var header = _secret.Sign("POST", "/api/v1/prefetch", Body, Now);
        var parts = header.Split(' ');
        parts[3] = Convert.ToHexStringLower(ClusterSecret.BodyDigest("{}"u8));
        Assert.Equal(SignatureFault.BadSignature, Fault(string.Join(' ', parts), "POST", "/api/v1/prefetch", Now));
        parts = header.Split(' ');
        parts[2] = Nonce.NewRandom().ToString();
        Assert.Equal(SignatureFault.BadSignature, Fault(string.Join(' ', parts), "POST", "/api/v1/prefetch", Now));
    }

    [Theory]
    [InlineData(null, SignatureFault.Missing)]
    [InlineData("", SignatureFault.Missing)]
    [InlineData("v1", SignatureFault.OldVersion)]
    [InlineData("v1 1795334400 0000000000000000000000000000000000000000000000000000000000000000", SignatureFault.OldVersion)]
    [InlineData("v2 1700000000 00", SignatureFault.Malformed)]
    [InlineData("v3 1795334400 00000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000", SignatureFault.Malformed)]
    [InlineData("v2 notanumber 00000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000", SignatureFault.Malformed)]
    [InlineData("v2 1795334400 0000000000000000000000000000000z 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000", SignatureFault.Malformed)]
    [InlineData("v2 1795334400 00000000000000000000000000000000 zz00000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000", SignatureFault.Malformed)]
    [InlineData("v2 1795334400 00000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000 00", SignatureFault.Malformed)]
    [InlineData("v2 1795334400 00000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000", SignatureFault.BadSignature)]
    public void Malformed_old_and_forged_headers_never_check(string? header, SignatureFault fault) =>
        Assert.Equal(fault, Fault(header, "GET", "/", DateTimeOffset.FromUnixTimeSeconds(1795334400)));

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

    private SignatureFault Fault(string? header, string method, string pathAndQuery, DateTimeOffset now) =>
        _secret.Check(header, method, pathAndQuery, now, out _).Fault;
}
