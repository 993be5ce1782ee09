namespace OrleansMount.Grains.Runtime;

/// <summary>
/// A call to a peer silo did not deliver. <see cref="Unreachable"/> when there was no answer at all
/// (refused, reset, timed out): the owner is then suspected. An answer that is an error (5xx, wrong
/// length or checksum) is a failure of that call only.
/// </summary>
public class PeerException(string message, bool unreachable, Exception? inner = null) : Exception(message, inner)
{
    public bool Unreachable { get; } = unreachable;
}

/// <summary>
/// The peer is not the owner of the key by its membership view, which is newer than the caller's
/// (<see cref="OwnerVersion"/>): the caller refreshes its view and routes again.
/// </summary>
public sealed class StaleViewException(string siloId, long ownerVersion, long callerVersion)
    : PeerException($"silo {siloId} does not own the key in membership view {ownerVersion}; the caller's view {callerVersion} is older", unreachable: false)
{
    public long OwnerVersion { get; } = ownerVersion;
}
