using System.Collections.Concurrent;
using OrleansMount.Core;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Silo.Mounts;

/// <summary>
/// The mounts of this node, as they registered (<c>POST /api/v1/mounts</c>), kept in memory: an entry not renewed
/// within <see cref="MountRegistration.Expiry"/> is dropped (its mount died without unregistering), and a restarted
/// silo learns of its mounts again from their next renewal. A mount that cannot read the node's chunk files is
/// logged as a warning when it first registers (so it is also among the recent errors).
/// </summary>
public sealed class MountTable
{
    /// <summary>Bounds the table against a caller registering endless made-up mountpoints.</summary>
    public const int MaxMounts = 1024;

    private readonly ConcurrentDictionary<string, MountStatus> _mounts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public MountTable(TimeProvider time, ILogger<MountTable> logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _time = time;
        _logger = logger;
    }

    /// <summary>Adds or renews a mount; logs a warning the first time (or when it changes) if it cannot read chunk files.</summary>
    public MountStatus Register(MountRegistration mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        var now = _time.GetUtcNow();
        Expire(now);
        if (!_mounts.ContainsKey(mount.Mountpoint) && _mounts.Count >= MaxMounts)
        {
            throw new OrleansMountException($"this silo already lists {MaxMounts} mounts; unmount some, or wait {MountRegistration.Expiry.TotalSeconds:0} s for dead ones to expire", 2);
        }

        var status = new MountStatus(mount, now, now, MountStatus.WarningFor(mount));
        MountStatus? before = null;
        var stored = _mounts.AddOrUpdate(
            mount.Mountpoint,
            status,
            (_, old) =>
            {
                before = old;
                return old.Mount == mount ? old with { RenewedAt = now } : status;
            });
        if (stored.Warning is { } warning && before?.Mount != mount)
        {
            _logger.LogWarning("{Warning} (snapshot {Snapshot}, pid {Pid}; docs/operations.md, Troubleshooting)", warning, mount.Snapshot, mount.Pid);
        }
        else if (before?.Mount != mount)
        {
            _logger.LogInformation("mount {Mountpoint} of snapshot {Snapshot} registered (pid {Pid}); it reads chunk files from {Directory}", mount.Mountpoint, mount.Snapshot, mount.Pid, mount.ChunkDirectory);
        }

        return stored;
    }

    /// <summary>Removes a mount (it unmounted); false if it was not listed.</summary>
    public bool Unregister(string mountpoint)
    {
        ArgumentNullException.ThrowIfNull(mountpoint);
        if (!_mounts.TryRemove(mountpoint, out var removed))
        {
            return false;
        }

        _logger.LogInformation("mount {Mountpoint} of snapshot {Snapshot} unregistered", mountpoint, removed.Mount.Snapshot);
        return true;
    }

    /// <summary>The live mounts, by mountpoint.</summary>
    public IReadOnlyList<MountStatus> Current()
    {
        Expire(_time.GetUtcNow());
        return [.. _mounts.Values.OrderBy(m => m.Mount.Mountpoint, StringComparer.Ordinal)];
    }

    private void Expire(DateTimeOffset now)
    {
        foreach (var (mountpoint, status) in _mounts)
        {
            if (now - status.RenewedAt > MountRegistration.Expiry)
            {
                _mounts.TryRemove(KeyValuePair.Create(mountpoint, status));
            }
        }
    }
}
