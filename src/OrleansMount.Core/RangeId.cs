namespace OrleansMount.Core;

/// <summary>Id of a range: an immutable sorted run of entries, named by the hash of its content.</summary>
public readonly record struct RangeId(Hash128 Hash)
{
    public static RangeId Parse(string hex) => new(Hash128.Parse(hex, "range id"));

    public override string ToString() => Hash.ToString();
}
