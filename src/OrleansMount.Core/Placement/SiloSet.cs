namespace OrleansMount.Core.Placement;

/// <summary>
/// A validated set of placement members in canonical order (ordinal by silo id), with each id's
/// hash computed once. Rendezvous scores depend only on (key, silo), never on the order or the
/// other members; the canonical order only makes tie-breaks the same on every silo.
/// <para>
/// Rank order: higher score first, then higher draw (u before rounding), then lower index. Members
/// are also grouped by equal weight: within a group the score grows with the draw, so the group's
/// best is its highest draw, found with one integer compare per member, and only one logarithm per
/// group is taken. Capacities come in a few sizes, so a winner costs about N hash-and-compare
/// steps plus a handful of logarithms instead of N logarithms.
/// </para>
/// </summary>
internal sealed class SiloSet
{
    private readonly PlacementMember[] _members;
    private readonly ulong[] _hashes;
    private readonly double[] _weights;
    private readonly WeightClass[] _classes;

    private SiloSet(PlacementMember[] sortedMembers)
    {
        _members = sortedMembers;
        _hashes = new ulong[sortedMembers.Length];
        _weights = new double[sortedMembers.Length];
        var classes = new Dictionary<double, List<int>>();
        for (var i = 0; i < sortedMembers.Length; i++)
        {
            _hashes[i] = PlacementHash.OfSiloId(sortedMembers[i].SiloId);
            _weights[i] = sortedMembers[i].Weight;
            if (!classes.TryGetValue(_weights[i], out var indices))
            {
                classes[_weights[i]] = indices = [];
            }

            indices.Add(i);
        }

        _classes = classes
            .Select(c => new WeightClass(c.Key, [.. c.Value], [.. c.Value.Select(i => _hashes[i])]))
            .ToArray();
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

    public ulong Draw(int index, ulong key) => PlacementHash.Draw(key, _hashes[index]);

    public double Score(int index, ulong draw) => PlacementHash.ScoreOf(draw, _weights[index]);

    /// <summary>Whether silo <paramref name="a"/> ranks before silo <paramref name="b"/> (see the class remarks).</summary>
    public static bool Beats(double scoreA, ulong drawA, int a, double scoreB, ulong drawB, int b) =>
        scoreA > scoreB || (scoreA == scoreB && (drawA > drawB || (drawA == drawB && a < b)));

    /// <summary>The rendezvous winner for <paramref name="key"/>.</summary>
    public int Winner(ulong key) => WinnerExcept(key, -1);

    /// <summary>The winner among all silos but <paramref name="excluded"/> (-1: none excluded; at least one must remain).</summary>
    public int WinnerExcept(ulong key, int excluded)
    {
        int best = -1;
        ulong bestDraw = 0;
        var bestScore = double.NegativeInfinity;
        foreach (var weightClass in _classes)
        {
            // Highest draw in the class; ascending indices and a strict compare keep the lowest index on a tie.
            var hashes = weightClass.Hashes;
            var at = -1;
            ulong draw = 0;
            for (var i = 0; i < hashes.Length; i++)
            {
                var d = PlacementHash.Draw(key, hashes[i]);
                if ((at < 0 || d > draw) && weightClass.Indices[i] != excluded)
                {
                    at = i;
                    draw = d;
                }
            }

            if (at < 0)
            {
                continue;
            }

            var index = weightClass.Indices[at];
            var score = PlacementHash.ScoreOf(draw, weightClass.Weight);
            if (best < 0 || Beats(score, draw, index, bestScore, bestDraw, best))
            {
                best = index;
                bestDraw = draw;
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
        var draws = new ulong[_members.Length];
        var scores = new double[_members.Length];
        var order = new int[_members.Length];
        for (var i = 0; i < order.Length; i++)
        {
            draws[i] = Draw(i, key);
            scores[i] = Score(i, draws[i]);
            order[i] = i;
        }

        Array.Sort(order, (a, b) => a == b ? 0 : Beats(scores[a], draws[a], a, scores[b], draws[b], b) ? -1 : 1);
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

    /// <summary>Members of equal weight: their indices (ascending) and id hashes side by side.</summary>
    private sealed record WeightClass(double Weight, int[] Indices, ulong[] Hashes);
}
