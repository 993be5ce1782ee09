using System.Text;
using OrleansMount.Core;
using OrleansMount.Storage.RocksDb;

namespace OrleansMount.Storage.Import;

/// <summary>
/// Collects the entries of one range (bounded by <see cref="RangePolicy"/>) and writes them as an
/// SST whose keys start with the range id, the hash of every (path, value) pair it holds.
/// </summary>
internal sealed class RangeBuilder
{
    private readonly List<(byte[] Path, byte[] Value, long Size)> _entries = [];
    private readonly RangePolicy _policy;
    private readonly string _workDirectory;
    private long _bytes;

    public RangeBuilder(RangePolicy policy, string workDirectory)
    {
        _policy = policy;
        _workDirectory = workDirectory;
    }

    public int Count => _entries.Count;

    /// <summary>Adds an entry; returns true when the range should be cut after it.</summary>
    public bool Add(string path, byte[] value, long size)
    {
        var pathBytes = Encoding.UTF8.GetBytes(path);
        _entries.Add((pathBytes, value, size));
        _bytes += pathBytes.Length + value.Length;
        return _policy.IsBoundary(pathBytes, _entries.Count, _bytes);
    }

    /// <summary>Writes the collected entries as an SST file and starts a new range.</summary>
    public (RangeDescriptor Descriptor, string File) Cut()
    {
        var id = new RangeId(ContentHash.Compute("range v1", _entries.Select(e => (e.Path, e.Value))));
        var file = Path.Combine(_workDirectory, id + ".sst");
        long total = 0;
        using (var writer = SstFileWriter.Create(file))
        {
            foreach (var (path, value, size) in _entries)
            {
                writer.Put(KeyCodec.Key(KeyCodec.RangeEntryKind, id.Hash, path), value);
                total += size;
            }

            writer.Finish();
        }

        var descriptor = new RangeDescriptor(
            id,
            Encoding.UTF8.GetString(_entries[0].Path),
            Encoding.UTF8.GetString(_entries[^1].Path),
            _entries.Count,
            total,
            new FileInfo(file).Length);
        _entries.Clear();
        _bytes = 0;
        return (descriptor, file);
    }
}
