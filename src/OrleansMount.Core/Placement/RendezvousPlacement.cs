namespace OrleansMount.Core.Placement;

/// <summary>
/// Plain weighted rendezvous hashing, evaluated per key: O(N) (one hash per silo, one logarithm
/// per distinct weight). It is the reference definition of ownership and the benchmark's baseline;
/// <see cref="PlacementView"/> applies the same function to a fixed set of slots instead of to
/// every key, because this one costs about 2 µs a key at 1,000 silos with 7 distinct weights
/// (docs/decisions/0004-placement.md).
/// </summary>
public sealed class RendezvousPlacement
{
    private readonly SiloSet _silos;

    public RendezvousPlacement(IEnumerable<PlacementMember> members) => _silos = SiloSet.Create(members);

    /// <summary>The members in canonical order (ordinal by silo id).</summary>
    public IReadOnlyList<PlacementMember> Members => _silos.Members;

    public string OwnerOf(ulong keyHash) => _silos.IdAt(_silos.Winner(keyHash));

    /// <summary>The first <paramref name="count"/> silos in preference order (fewer if the view is smaller).</summary>
    public IReadOnlyList<string> OwnersOf(ulong keyHash, int count) => _silos.Ranking(keyHash, count);
}
