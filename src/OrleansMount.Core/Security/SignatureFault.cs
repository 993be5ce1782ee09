namespace OrleansMount.Core.Security;

/// <summary>What was wrong with a request's signature (<see cref="ClusterSecret"/>), if anything.</summary>
public enum SignatureFault
{
    /// <summary>The signature is good.</summary>
    None,

    /// <summary>The request carried no <see cref="ClusterSecret.HeaderName"/> header.</summary>
    Missing,

    /// <summary>The header is not <c>v2 UNIXSECONDS NONCE BODYSHA256 HMAC</c>.</summary>
    Malformed,

    /// <summary>A signature of an older version (v1: no nonce, body not covered), refused.</summary>
    OldVersion,

    /// <summary>The signature's time is too far from the verifier's clock, or older than the nonces it still remembers.</summary>
    StaleTime,

    /// <summary>The HMAC does not match: another secret, or another method, path or query than the one signed.</summary>
    BadSignature,

    /// <summary>The body received is not the one whose SHA-256 was signed.</summary>
    BodyDigestMismatch,

    /// <summary>The same signature (time and nonce) was already accepted within the window.</summary>
    ReplayedNonce,
}
