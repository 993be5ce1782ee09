namespace OrleansMount.Core.Placement;

/// <summary>
/// A validated set of placement members in canonical order (ordinal by silo id), with each id's
/// hash computed once. Rendezvous scores depend only on (key, silo), never on the order or the
/// other members; the canonical order only makes the tie-break (lower index wins an exactly equal
/// score) the same on every silo.
/// </summary>
internal sealed class SiloSet
{
    private readonly PlacementMember[] _members;
    private readonly ulong[] _hashes;
    private readonly double[] _weights;

    private SiloSet(PlacementMember[] sortedMembers)
    {
        _members = sortedMembers;
        _hashes = new ulong[sortedMembers.Length];
        _weights = new double[sortedMembers.Length];
        for (var i = 0; i < sortedMembers.Length; i++)
        {
            _hashes[i] = PlacementHash.OfSiloId(sortedMembers[i].SiloId);
            _weights[i] = sortedMembers[i].Weight;
        }
    }

    public int Count => _members.Length;

    public IReadOnlyList<PlacementMember> Members => _members;

    public string IdAt(int index) => _members[index].SiloId;

    public static SiloSet Create(IEnumerable<PlacementMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var sorted = members.ToArray();
        foreach (var member in sorted)
        {
            Validate(member);
        }

        if (sorted.Length == 0)
        {
            throw new ArgumentException("a placement view needs at least one member", nameof(members));
        }

        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.SiloId, b.SiloId));
        for (var i = 1; i < sorted.Length; i++)
        {
            if (string.Equals(sorted[i - 1].SiloId, sorted[i].SiloId, StringComparison.Ordinal))
            {
                throw new ArgumentException($"silo id '{sorted[i].SiloId}' appears more than once in the view; each silo joins once", nameof(members));
            }
        }

        return new SiloSet(sorted);
    }

    /// <summary>Index of <paramref name="siloId"/>, or the bitwise complement of where it would go.</summary>
    public int IndexOf(string siloId)
    {
        int lo = 0, hi = _members.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_members[mid].SiloId, siloId);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    /// <summary>This set with <paramref name="member"/> inserted at <paramref name="index"/> (from <see cref="IndexOf"/>).</summary>
    public SiloSet Insert(int index, PlacementMember member)
    {
        Validate(member);
        var members = new PlacementMember[_members.Length + 1];
        Array.Copy(_members, 0, members, 0, index);
        members[index] = member;
        Array.Copy(_members, index, members, index + 1, _members.Length - index);
        return new SiloSet(members);
    }

    public SiloSet RemoveAt(int index)
    {
        var members = new PlacementMember[_members.Length - 1];
        Array.Copy(_members, 0, members, 0, index);
        Array.Copy(_members, index + 1, members, index, _members.Length - index - 1);
        return new SiloSet(members);
    }

    public double Score(int index, ulong key) => PlacementHash.Score(key, _hashes[index], _weights[index]);

    /// <summary>Whether silo <paramref name="a"/> with score <paramref name="scoreA"/> ranks before <paramref name="b"/>.</summary>
    public static bool Beats(double scoreA, int a, double scoreB, int b) => scoreA > scoreB || (scoreA == scoreB && a < b);

    /// <summary>The rendezvous winner for <paramref name="key"/>: O(N), one logarithm per silo.</summary>
    public int Winner(ulong key)
    {
        var best = 0;
        var bestScore = PlacementHash.Score(key, _hashes[0], _weights[0]);
        for (var i = 1; i < _hashes.Length; i++)
        {
            var score = PlacementHash.Score(key, _hashes[i], _weights[i]);
            if (score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The winner among all silos but <paramref name="excluded"/> (which must exist).</summary>
    public int WinnerExcept(ulong key, int excluded)
    {
        var best = -1;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < _hashes.Length; i++)
        {
            if (i == excluded)
            {
                continue;
            }

            var score = PlacementHash.Score(key, _hashes[i], _weights[i]);
            if (best < 0 || score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The first <paramref name="count"/> silo ids in rendezvous order for <paramref name="key"/>.</summary>
    public IReadOnlyList<string> Ranking(ulong key, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, _members.Length);
        var scores = new double[_members.Length];
        var order = new int[_members.Length];
        for (var i = 0; i < order.Length; i++)
        {
            scores[i] = PlacementHash.Score(key, _hashes[i], _weights[i]);
            order[i] = i;
        }

        Array.Sort(order, (a, b) => a == b ? 0 : Beats(scores[a], a, scores[b], b) ? -1 : 1);
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = _members[order[i]].SiloId;
        }

        return ids;
    }

    private static void Validate(PlacementMember member)
    {
        if (member is null)
        {
            throw new ArgumentException("a placement member is null", nameof(member));
        }

        if (string.IsNullOrEmpty(member.SiloId))
        {
            throw new ArgumentException("a placement member has an empty silo id", nameof(member));
        }

        if (!double.IsFinite(member.Weight) || member.Weight <= 0)
        {
            throw new ArgumentException($"silo '{member.SiloId}' has weight {member.Weight}; a weight is its cache capacity and must be a finite number > 0", nameof(member));
        }
    }
}
