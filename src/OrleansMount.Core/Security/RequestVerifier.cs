using System.Buffers;
using System.Security.Cryptography;

namespace OrleansMount.Core.Security;

/// <summary>
/// The silo's side of <see cref="ClusterSecret"/>: checks a request's signature (form, version, time, HMAC), then
/// that the body received is the one signed, then that the signature was not accepted before within the window
/// (<see cref="NonceWindow"/>). Each request is accepted at most once; the body is read only when the header is
/// genuine, so an unsigned caller cannot make the silo hash large bodies.
/// </summary>
public sealed class RequestVerifier(ClusterSecret secret, TimeProvider time, int nonceCapacity = NonceWindow.DefaultCapacity)
{
    private const int ReadBufferBytes = 64 * 1024;

    /// <summary>The signatures accepted within the window.</summary>
    public NonceWindow Nonces { get; } = new(ClusterSecret.MaxSkew, nonceCapacity);

    /// <summary>Checks a request whose whole body is <paramref name="body"/>.</summary>
    public SignatureCheck Verify(string? header, string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        var now = time.GetUtcNow();
        var check = secret.Check(header, method, pathAndQuery, now, out var signature);
        return check.IsValid ? Finish(signature!, ClusterSecret.BodyDigest(body), now) : check;
    }

    /// <summary>Checks a request, reading its body from <paramref name="body"/> to the end (the caller rewinds it for the endpoint).</summary>
    public async ValueTask<SignatureCheck> VerifyAsync(string? header, string method, string pathAndQuery, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var now = time.GetUtcNow();
        var check = secret.Check(header, method, pathAndQuery, now, out var signature);
        if (!check.IsValid)
        {
            return check;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, ReadBufferBytes), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Finish(signature!, hash.GetHashAndReset(), now);
    }

    private SignatureCheck Finish(RequestSignature signature, byte[] received, DateTimeOffset now)
    {
        if (!CryptographicOperations.FixedTimeEquals(received, signature.BodyDigest))
        {
            return new(SignatureFault.BodyDigestMismatch, "a body other than the one signed (its SHA-256 differs from the signature's)");
        }

        return Nonces.TryAdd(signature.Seconds, signature.Nonce, now.ToUnixTimeSeconds()) switch
        {
            NonceVerdict.Accepted => SignatureCheck.Valid,
            NonceVerdict.Replayed => new(SignatureFault.ReplayedNonce, $"a replayed signature (its nonce was already used at that time, within the last {ClusterSecret.MaxSkew.TotalSeconds:0} s): sign every request afresh"),
            _ => new(SignatureFault.StaleTime, $"a signature made at {signature.Seconds} (unix seconds), older than this silo can still check for replays (its memory of {Nonces.Capacity} signatures is full and forgot that second): sign with a current clock"),
        };
    }
}
