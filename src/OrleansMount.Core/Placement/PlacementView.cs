namespace OrleansMount.Core.Placement;

/// <summary>
/// Who owns what, for one membership view. A key's 64-bit hash selects one of
/// <see cref="SlotCount"/> fixed slots (its top <see cref="SlotBits"/> bits); each slot is owned by
/// the weighted rendezvous winner among the members for that slot, so:
/// <list type="bullet">
/// <item>every silo computes the same owner from the same members, whatever their order;</item>
/// <item>a silo joining takes slots only from others, and a silo leaving hands only its own slots
/// to their next choice: no key moves between two silos that stayed;</item>
/// <item>a silo's expected share is weight / total weight, up to slot granularity (a silo holding
/// s slots deviates by about 1/√s of its share).</item>
/// </list>
/// The table is built once per view (O(slots × members); <see cref="With"/> and
/// <see cref="Without"/> derive the next view in O(slots)), then a lookup is one array read,
/// independent of cluster size. The slot count is part of the wire contract: changing it moves
/// nearly every key. Immutable and safe to share between threads.
/// </summary>
public sealed class PlacementView
{
    public const int SlotBits = 16;
    public const int SlotCount = 1 << SlotBits;

    private readonly SiloSet _silos;
    private readonly int[] _slotOwners;

    public PlacementView(IEnumerable<PlacementMember> members)
    {
        _silos = SiloSet.Create(members);
        _slotOwners = new int[SlotCount];
        for (var slot = 0; slot < SlotCount; slot++)
        {
            _slotOwners[slot] = _silos.Winner(SlotKey(slot));
        }
    }

    private PlacementView(SiloSet silos, int[] slotOwners)
    {
        _silos = silos;
        _slotOwners = slotOwners;
    }

    /// <summary>The members in canonical order (ordinal by silo id).</summary>
    public IReadOnlyList<PlacementMember> Members => _silos.Members;

    public int Count => _silos.Count;

    /// <summary>The slot of a key: its top <see cref="SlotBits"/> bits.</summary>
    public static int SlotOf(ulong keyHash) => (int)(keyHash >> (64 - SlotBits));

    public bool Contains(string siloId) => _silos.IndexOf(siloId) >= 0;

    /// <summary>The owner of a key: one table read.</summary>
    public string OwnerOf(ulong keyHash) => _silos.IdAt(_slotOwners[SlotOf(keyHash)]);

    /// <summary>
    /// The first <paramref name="count"/> silos in preference order for a key (fewer if the view is
    /// smaller): the owner first, then where the key goes if the silos before it are removed. For
    /// fallbacks when an owner is dead; O(N log N), so not for every read.
    /// </summary>
    public IReadOnlyList<string> OwnersOf(ulong keyHash, int count) => _silos.Ranking(SlotKey(SlotOf(keyHash)), count);

    /// <summary>
    /// The view with one more member, derived in O(slots): the newcomer takes exactly the slots it
    /// wins. Equal to building the view from scratch with the same members.
    /// </summary>
    public PlacementView With(PlacementMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        var at = _silos.IndexOf(member.SiloId ?? string.Empty);
        if (at >= 0)
        {
            throw new ArgumentException($"silo '{member.SiloId}' is already in the view; to change its weight, remove it first", nameof(member));
        }

        at = ~at;
        var silos = _silos.Insert(at, member);
        var owners = new int[SlotCount];
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var owner = _slotOwners[slot];
            if (owner >= at)
            {
                owner++;
            }

            var key = SlotKey(slot);
            ulong newDraw = silos.Draw(at, key), ownerDraw = silos.Draw(owner, key);
            var wins = SiloSet.Beats(silos.Score(at, newDraw), newDraw, at, silos.Score(owner, ownerDraw), ownerDraw, owner);
            owners[slot] = wins ? at : owner;
        }

        return new PlacementView(silos, owners);
    }

    /// <summary>
    /// The view without one member, derived in O(slots): its slots go to their next rendezvous
    /// choice, every other slot stays. Equal to building the view from scratch with the same members.
    /// </summary>
    public PlacementView Without(string siloId)
    {
        ArgumentNullException.ThrowIfNull(siloId);
        var at = _silos.IndexOf(siloId);
        if (at < 0)
        {
            throw new ArgumentException($"silo '{siloId}' is not in the view", nameof(siloId));
        }

        if (_silos.Count == 1)
        {
            throw new InvalidOperationException($"silo '{siloId}' is the last member; a placement view needs at least one");
        }

        var silos = _silos.RemoveAt(at);
        var owners = new int[SlotCount];
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var owner = _slotOwners[slot];
            if (owner == at)
            {
                // Next choice in the old numbering, then renumbered: same as a fresh build over the rest.
                owner = _silos.WinnerExcept(SlotKey(slot), at);
            }

            owners[slot] = owner > at ? owner - 1 : owner;
        }

        return new PlacementView(silos, owners);
    }

    /// <summary>The rendezvous key of a slot: spread over 64 bits so slot keys look like key hashes.</summary>
    private static ulong SlotKey(int slot) => PlacementHash.Mix64(((ulong)slot + 1) * PlacementHash.Golden);
}
