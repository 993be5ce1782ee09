namespace OrleansMount.Core;

/// <summary>Id of a snapshot: hash of its metarange and source, equal for equal imports.</summary>
public readonly record struct SnapshotId(Hash128 Hash)
{
    public static SnapshotId Parse(string hex) => new(Hash128.Parse(hex, "snapshot id"));

    public override string ToString() => Hash.ToString();
}
