using OrleansMount.Core;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Snapshots;

/// <summary>
/// The inode numbering of decision 0013 computed naively from a set of file paths, with no ranges:
/// the oracle the real <see cref="Storage.Metadata.SnapshotView"/> is checked against, and what the
/// in-memory mount backend of the unit tests numbers its items with.
/// </summary>
public static class ReferenceInodes
{
    /// <summary>Every file and directory of <paramref name="files"/> ("" is the root) with its inode number.</summary>
    public static Dictionary<string, ulong> Of(IEnumerable<string> files)
    {
        var sorted = files.Order(KeyOrder.Instance).ToList();
        var inos = new Dictionary<string, ulong>(StringComparer.Ordinal) { [""] = InodeNumbers.Root };
        for (var ordinal = 0; ordinal < sorted.Count; ordinal++)
        {
            var file = sorted[ordinal];
            inos.Add(file, ((ulong)ordinal + 1) << 12);
            var depth = 0;
            for (var slash = file.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = file.IndexOf('/', slash + 1))
            {
                // The first file in key order below a directory numbers it; later ones find it taken.
                inos.TryAdd(file[..slash], (((ulong)ordinal + 1) << 12) | (uint)++depth);
            }
        }

        return inos;
    }
}
