using OrleansMount.Core;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Silo.Mounts;

/// <summary>
/// Local mounts register themselves (docs/api.md "Mounts"): <c>POST /api/v1/mounts</c> and
/// <c>DELETE /api/v1/mounts?mountpoint=DIR</c>. The table is shown by <c>GET /api/v1/node</c>.
/// </summary>
public static class MountEndpoints
{
    private const int MaxPathLength = 4096;
    private const int MaxTextLength = 1024;

    public static void Map(WebApplication app, MountTable mounts)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(mounts);
        var api = app.MapGroup("/api/v1");
        api.MapPost("/mounts", (MountRegistration mount) => SiloEndpoints.Guard(() =>
        {
            Validate(mount);
            return Task.FromResult(Results.Json(mounts.Register(mount)));
        }));
        api.MapDelete("/mounts", (string? mountpoint) => SiloEndpoints.Guard(() =>
        {
            if (string.IsNullOrEmpty(mountpoint))
            {
                throw new OrleansMountException("unregistering a mount needs ?mountpoint=DIR", 2);
            }

            mounts.Unregister(mountpoint);
            return Task.FromResult(Results.NoContent());
        }));
    }

    /// <summary>What a mount sends is shown on terminals and the dashboard: bounded, printable, the mountpoint absolute.</summary>
    internal static void Validate(MountRegistration mount)
    {
        if (mount is null)
        {
            throw new OrleansMountException("a mount registration needs a JSON body", 2);
        }

        Check(mount.Mountpoint, "mountpoint", MaxPathLength, required: true);
        Check(mount.Snapshot, "snapshot", MaxTextLength, required: true);
        Check(mount.SnapshotId, "snapshotId", MaxTextLength, required: true);
        Check(mount.ChunkDirectory, "chunkDirectory", MaxPathLength, required: true);
        Check(mount.Problem, "problem", MaxTextLength, required: false);
        if (!mount.Mountpoint.StartsWith('/'))
        {
            throw new OrleansMountException($"mount registration: mountpoint '{mount.Mountpoint}' is not an absolute path", 2);
        }
    }

    private static void Check(string? value, string field, int maxLength, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                throw new OrleansMountException($"mount registration: {field} is missing", 2);
            }

            return;
        }

        if (value.Length > maxLength || value.Any(char.IsControl))
        {
            throw new OrleansMountException($"mount registration: {field} is longer than {maxLength} characters or holds control characters", 2);
        }
    }
}
