using System.Text;
using OrleansMount.Core.Security;
using OrleansMount.Tests.Chunks;

namespace OrleansMount.Tests.Security;

/// <summary>The silo's checks of a signed request, on a clock that moves only when told (no sleeps).</summary>
[UnitTest]
public sealed class RequestVerifierTests
{
    private const string Path = "/api/v1/prefetch";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"snapshot":"au","paths":[],"metadataOnly":true}""");
    private static readonly byte[] OtherBody = Encoding.UTF8.GetBytes("""{"snapshot":"au","paths":[],"metadataOnly":false}""");
    private readonly ClusterSecret _secret = ClusterSecret.FromText("correct horse battery staple", "test");
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void A_signed_request_verifies_once_and_its_replay_is_refused()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        var header = _secret.Sign("POST", Path, Body, _clock.GetUtcNow());
        Assert.Equal(SignatureCheck.Valid, verifier.Verify(header, "POST", Path, Body));
        var replay = verifier.Verify(header, "POST", Path, Body);
        Assert.Equal(SignatureFault.ReplayedNonce, replay.Fault);
        Assert.Contains("replayed", replay.Reason, StringComparison.Ordinal);
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(SignatureFault.ReplayedNonce, verifier.Verify(header, "POST", Path, Body).Fault);
    }

    [Fact]
    public void The_same_path_with_another_body_is_refused_and_does_not_use_up_the_signature()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        var header = _secret.Sign("POST", Path, Body, _clock.GetUtcNow());
        var tampered = verifier.Verify(header, "POST", Path, OtherBody);
        Assert.Equal(SignatureFault.BodyDigestMismatch, tampered.Fault);
        Assert.Contains("body", tampered.Reason, StringComparison.Ordinal);
        Assert.Equal(SignatureFault.BodyDigestMismatch, verifier.Verify(header, "POST", Path, []).Fault);

        // An attacker racing the genuine request with another body cannot burn its nonce.
        Assert.True(verifier.Verify(header, "POST", Path, Body).IsValid);
    }

    [Fact]
    public void A_request_without_a_body_is_signed_with_the_digest_of_no_bytes()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        var header = _secret.Sign("GET", "/api/v1/snapshots/au/list?id=x&path=", [], _clock.GetUtcNow());
        Assert.Equal(SignatureFault.BodyDigestMismatch, verifier.Verify(header, "GET", "/api/v1/snapshots/au/list?id=x&path=", "x"u8).Fault);
        Assert.True(verifier.Verify(header, "GET", "/api/v1/snapshots/au/list?id=x&path=", []).IsValid);
    }

    [Fact]
    public void A_stale_signature_is_refused_saying_how_far_off_the_clocks_are()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        var header = _secret.Sign("POST", Path, Body, _clock.GetUtcNow());
        _clock.Advance(ClusterSecret.MaxSkew + TimeSpan.FromSeconds(1));
        var stale = verifier.Verify(header, "POST", Path, Body);
        Assert.Equal(SignatureFault.StaleTime, stale.Fault);
        Assert.Contains("301 s behind", stale.Reason, StringComparison.Ordinal);
        var ahead = _secret.Sign("POST", Path, Body, _clock.GetUtcNow() + TimeSpan.FromMinutes(10));
        Assert.Contains("ahead of", verifier.Verify(ahead, "POST", Path, Body).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_replay_is_refused_for_as_long_as_the_signature_is_valid_and_forgotten_only_afterwards()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        var header = _secret.Sign("POST", Path, Body, _clock.GetUtcNow());
        Assert.True(verifier.Verify(header, "POST", Path, Body).IsValid);
        _clock.Advance(ClusterSecret.MaxSkew);
        Assert.Equal(SignatureFault.ReplayedNonce, verifier.Verify(header, "POST", Path, Body).Fault);
        Assert.Equal(1, verifier.Nonces.Count);

        // One second later the signature's time has left the window: the verifier forgets the nonce (memory is
        // bounded by time), and the replay is still refused, now as stale.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SignatureFault.StaleTime, verifier.Verify(header, "POST", Path, Body).Fault);
        Assert.True(verifier.Verify(_secret.Sign("POST", Path, Body, _clock.GetUtcNow()), "POST", Path, Body).IsValid);
        Assert.Equal(1, verifier.Nonces.Count);
    }

    [Fact]
    public async Task The_body_is_read_from_a_stream_as_the_silo_receives_it()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        var large = new byte[300_000];
        new Random(7).NextBytes(large);
        var header = _secret.Sign("POST", Path, large, _clock.GetUtcNow());
        using (var tampered = new MemoryStream(large.Take(large.Length - 1).ToArray()))
        {
            Assert.Equal(SignatureFault.BodyDigestMismatch, (await verifier.VerifyAsync(header, "POST", Path, tampered, CancellationToken.None)).Fault);
        }

        using var stream = new MemoryStream(large);
        Assert.True((await verifier.VerifyAsync(header, "POST", Path, stream, CancellationToken.None)).IsValid);
        using var again = new MemoryStream(large);
        Assert.Equal(SignatureFault.ReplayedNonce, (await verifier.VerifyAsync(header, "POST", Path, again, CancellationToken.None)).Fault);
    }

    [Fact]
    public async Task A_header_that_fails_is_refused_before_the_body_is_read()
    {
        var verifier = new RequestVerifier(_secret, _clock);
        using var body = new MemoryStream(Body);
        var check = await verifier.VerifyAsync("v1 1 00", "POST", Path, body, CancellationToken.None);
        Assert.Equal(SignatureFault.OldVersion, check.Fault);
        Assert.Equal(0, body.Position);
    }
}
