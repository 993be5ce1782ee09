namespace OrleansMount.Core;

/// <summary>Id of a metarange: the index of a snapshot's ranges, named by the hash of its records.</summary>
public readonly record struct MetarangeId(Hash128 Hash)
{
    public static MetarangeId Parse(string hex) => new(Hash128.Parse(hex, "metarange id"));

    public override string ToString() => Hash.ToString();
}
