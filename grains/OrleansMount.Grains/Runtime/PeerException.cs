namespace OrleansMount.Grains.Runtime;

/// <summary>
/// A call to a peer silo did not deliver. <see cref="Unreachable"/> when there was no answer at all
/// (refused, reset, timed out). An answer that is an error (5xx, wrong
/// length or checksum) is a failure of that call only.
/// </summary>
public class PeerException(string message, bool unreachable, Exception? inner = null) : Exception(message, inner)
{
    public bool Unreachable { get; } = unreachable;
}
