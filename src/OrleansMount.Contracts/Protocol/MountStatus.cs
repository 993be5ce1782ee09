namespace OrleansMount.Grains.Protocol;

/// <summary>A mount of this node as its silo shows it (<c>GET /api/v1/node</c> <c>mounts</c>, <c>orleansmount status</c>, the dashboard).</summary>
/// <param name="Mount">What the mount registered.</param>
/// <param name="RegisteredAt">When the silo first heard of it (the silo's clock).</param>
/// <param name="RenewedAt">When it last renewed its registration.</param>
/// <param name="Warning">Null when the mount takes the fast path; else one line saying what is wrong and what to do.</param>
public sealed record MountStatus(MountRegistration Mount, DateTimeOffset RegisteredAt, DateTimeOffset RenewedAt, string? Warning)
{
    /// <summary>The warning shown for a mount that cannot read the node's chunk files.</summary>
    public static string? WarningFor(MountRegistration mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        return mount.LocalChunks
            ? null
            : $"mount {mount.Mountpoint}: chunk files not readable at {mount.ChunkDirectory} ({mount.Problem ?? "no reason given"}), every read goes through the silo; mount the silo's cache directory into the mount's container at {Path.GetDirectoryName(mount.ChunkDirectory)}, read-only";
    }
}
