namespace OrleansMount.Core.Security;

/// <summary>The parts of a genuine signature still to be checked against the body and earlier requests.</summary>
public sealed record RequestSignature(long Seconds, Nonce Nonce, byte[] BodyDigest);
