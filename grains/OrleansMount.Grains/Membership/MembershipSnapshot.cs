namespace OrleansMount.Grains.Membership;

/// <summary>
/// The whole membership table as read at one instant: its version and every entry (sorted by
/// silo id, so two readers of the same table state see the same list).
/// </summary>
public sealed class MembershipSnapshot
{
    private IReadOnlyList<SiloEntry>? _active;

    public MembershipSnapshot(long version, IEnumerable<SiloEntry> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        Version = version;
        var sorted = members.OrderBy(m => m.SiloId, StringComparer.Ordinal).ToArray();
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].SiloId == sorted[i - 1].SiloId)
            {
                throw new ArgumentException($"silo '{sorted[i].SiloId}' appears twice in a membership snapshot", nameof(members));
            }
        }

        Members = sorted;
    }

    /// <summary>The view before anything was read: version 0, no members.</summary>
    public static MembershipSnapshot Empty { get; } = new(0, []);

    /// <summary>The table version: it grows with every membership change (not with heartbeats).</summary>
    public long Version { get; }

    /// <summary>Every entry, whatever its status, ordered by silo id.</summary>
    public IReadOnlyList<SiloEntry> Members { get; }

    /// <summary>The entries with status <see cref="SiloStatus.Active"/>: the placement targets.</summary>
    public IReadOnlyList<SiloEntry> Active => _active ??= Members.Where(m => m.Status == SiloStatus.Active).ToArray();

    /// <summary>The entry of <paramref name="siloId"/>, or null.</summary>
    public SiloEntry? Find(string siloId)
    {
        foreach (var member in Members)
        {
            if (member.SiloId == siloId)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>
    /// True when both snapshots have the same version and the same members with the same status,
    /// address, capacity, start time and software version. Heartbeat times are ignored: they move
    /// all the time and do not change who is in the cluster.
    /// </summary>
    public bool SameMembership(MembershipSnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Version != other.Version || Members.Count != other.Members.Count)
        {
            return false;
        }

        for (var i = 0; i < Members.Count; i++)
        {
            if (Members[i] with { HeartbeatAt = default } != other.Members[i] with { HeartbeatAt = default })
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() =>
        $"v{Version} [{string.Join(", ", Members.Select(m => $"{m.SiloId}:{m.Status}"))}]";
}
