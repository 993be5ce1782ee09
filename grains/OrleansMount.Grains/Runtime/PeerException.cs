namespace OrleansMount.Grains.Runtime;

/// <summary>
/// A copy from a peer silo's data endpoint did not deliver: no answer (refused, reset, timed out) or an answer that
/// is an error (5xx, wrong length or checksum). Either way the caller reads the object store or catalog instead.
/// </summary>
public sealed class PeerException(string message, Exception? inner = null) : Exception(message, inner);
