namespace OrleansMount.Core.Security;

/// <summary>
/// The outcome of checking a request's signature: <see cref="SignatureFault.None"/>, or the fault and a
/// sentence for the caller and the log saying what was wrong (never the secret, nor the expected MAC).
/// </summary>
public readonly record struct SignatureCheck(SignatureFault Fault, string Reason)
{
    public static SignatureCheck Valid { get; } = new(SignatureFault.None, "a valid signature");

    public bool IsValid => Fault == SignatureFault.None;
}
