namespace OrleansMount.Core;

/// <summary>
/// Where ranges end. A range is cut after an entry whose path hashes to a boundary (content-defined,
/// so adding or changing one object changes only the range that holds it), once it holds at least
/// <see cref="MinEntries"/>; and always at <see cref="MaxEntries"/> or <see cref="MaxBytes"/> of
/// encoded keys and values, which bounds the memory of import and of one range fetch.
/// </summary>
public sealed record RangePolicy(int TargetEntries = 2048, int MinEntries = 256, int MaxEntries = 16384, int MaxBytes = 2 * 1024 * 1024)
{
    public static RangePolicy Default { get; } = new();

    public bool IsBoundary(ReadOnlySpan<byte> path, int entries, long bytes) =>
        entries >= MaxEntries || bytes >= MaxBytes || (entries >= MinEntries && Fnv1a64(path) % (ulong)TargetEntries == 0);

    /// <summary>FNV-1a, 64-bit: stable across runs and platforms (string.GetHashCode is not).</summary>
    public static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        // Mix the high bits down so the modulus sees all of them.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }
}
