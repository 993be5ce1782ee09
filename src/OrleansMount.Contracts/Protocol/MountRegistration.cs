namespace OrleansMount.Grains.Protocol;

/// <summary>
/// <c>POST /api/v1/mounts</c>: a mount of this node tells its silo what it serves and whether it can read the
/// silo's chunk files itself (the fast path), at start and then every <see cref="RenewInterval"/> (so a silo that
/// restarted learns of it again, and one that stopped hearing from it forgets it).
/// </summary>
/// <param name="Mountpoint">The mount's directory, as the mount process sees it.</param>
/// <param name="Snapshot">The mounted snapshot's name.</param>
/// <param name="SnapshotId">The snapshot id pinned at mount time.</param>
/// <param name="LocalChunks">True when the mount reads chunk files already on the node straight from <paramref name="ChunkDirectory"/>; false when every read goes through the silo.</param>
/// <param name="ChunkDirectory">Where the mount looked for the silo's chunk files (the silo's cache directory + <c>/chunks</c>).</param>
/// <param name="Problem">Why the chunk files are not readable (null when <paramref name="LocalChunks"/>).</param>
/// <param name="Pid">The mount's process id (in its own PID namespace), for the operator.</param>
public sealed record MountRegistration(string Mountpoint, string Snapshot, string SnapshotId, bool LocalChunks, string ChunkDirectory, string? Problem, int Pid)
{
    /// <summary>How often a mount renews its registration.</summary>
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(30);

    /// <summary>A registration not renewed for this long is dropped (the mount died without saying goodbye).</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(95);
}
