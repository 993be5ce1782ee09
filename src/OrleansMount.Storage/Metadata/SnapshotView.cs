using System.Text;
using OrleansMount.Core;
using OrleansMount.Storage.RocksDb;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Storage.Metadata;

/// <summary>
/// One snapshot as seen through a node's <see cref="MetadataStore"/>: file lookup and directory
/// listing over its ranges. Directories are derived from paths: listing seeks to "dir/", takes
/// each file directly below it, and for each subdirectory emits its name and seeks past its whole
/// subtree, so a listing costs one seek per child, not one step per descendant. Each child gets its
/// inode number (<see cref="InodeNumbers"/>): a file's ordinal is its range's base ordinal (the entry
/// counts of the ranges before it, summed here) plus its index within the range (stored in its value);
/// a subdirectory's comes from its first file, where the listing's seek lands anyway.
/// </summary>
public sealed class SnapshotView
{
    private readonly MetadataStore _store;
    private readonly RangeDescriptor[] _ranges;
    private readonly byte[][] _firstPaths;
    private readonly byte[][] _lastPaths;
    private readonly long[] _baseOrdinals;

    internal SnapshotView(MetadataStore store, SnapshotRecord record, IReadOnlyList<RangeDescriptor> ranges)
    {
        _store = store;
        Record = record;
        _ranges = [.. ranges];
        _firstPaths = [.. _ranges.Select(r => Encoding.UTF8.GetBytes(r.FirstPath))];
        _lastPaths = [.. _ranges.Select(r => Encoding.UTF8.GetBytes(r.LastPath))];
        _baseOrdinals = new long[_ranges.Length];
        for (var i = 1; i < _ranges.Length; i++)
        {
            _baseOrdinals[i] = _baseOrdinals[i - 1] + _ranges[i - 1].EntryCount;
        }
    }

    public SnapshotRecord Record { get; }

    public IReadOnlyList<RangeDescriptor> Ranges => _ranges;

    /// <summary>The ranges that may hold paths under <paramref name="directory"/> ("" for all).</summary>
    public IEnumerable<RangeDescriptor> RangesUnder(string directory) => RangeIndexesUnder(directory).Select(i => _ranges[i]);

    /// <summary>The file at <paramref name="path"/>, or null when there is none (it may be a directory).</summary>
    public async Task<SnapshotEntry?> GetFileAsync(string path, CancellationToken cancellationToken = default) =>
        await ReadFileValueAsync(path, cancellationToken).ConfigureAwait(false) is var (_, value)
            ? EntryCodec.Decode(path, value, Record.Source + path)
            : null;

    /// <summary>Whether some file lies below <paramref name="path"/> ("" is the root and always a directory).</summary>
    public async Task<bool> IsDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        if (path.Length == 0)
        {
            return true;
        }

        return await FirstFileBelowAsync(path, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// The children of <paramref name="directory"/> ("" for the root) in listing order (key order: a
    /// subdirectory sorts as "name/"); null when the path is not a directory of this snapshot. The whole
    /// directory at once: callers that must stay small on huge directories use <see cref="ListDirectoryPageAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<DirectoryItem>?> ListDirectoryAsync(string directory, CancellationToken cancellationToken = default) =>
        (await ListDirectoryPageAsync(directory, null, int.MaxValue, cancellationToken).ConfigureAwait(false))?.Items;

    /// <summary>
    /// At most <paramref name="limit"/> children of <paramref name="directory"/> in listing order, starting after
    /// <paramref name="after"/> (a <see cref="DirectoryPage.Next"/> of an earlier page of the same directory; null
    /// for the first page). Costs one seek per child returned plus one per range crossed, whatever the page's
    /// position: a page holds no more than it returns. Null when the path is not a directory (first page only:
    /// a later page past the end is empty).
    /// </summary>
    public async Task<DirectoryPage?> ListDirectoryPageAsync(string directory, string? after, int limit, CancellationToken cancellationToken = default)
    {
        var items = new ItemSink(Record.Source);
        var scan = await ScanDirectoryPageAsync(directory, after, limit, items, cancellationToken).ConfigureAwait(false);
        return scan.Found ? new DirectoryPage(items.Items, scan.Next) : null;
    }

    /// <summary>
    /// The page <see cref="ListDirectoryPageAsync"/> returns, handed to <paramref name="sink"/> child by child as the
    /// store's keys and values (no string or object per child: docs/decisions/0032-listing-pages-without-objects.md).
    /// </summary>
    public async Task<DirectoryScan> ScanDirectoryPageAsync(string directory, string? after, int limit, IDirectoryPageSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentNullException.ThrowIfNull(sink);
        var prefix = directory.Length == 0 ? [] : Encoding.UTF8.GetBytes(directory + "/");
        var resume = after is null ? null : ListingCursor.ResumeKey(prefix, after);
        var childDepth = InodeNumbers.Depth(directory) + 1;
        var last = new LastChild();
        foreach (var r in RangeIndexesUnder(directory))
        {
            if (resume is not null && _lastPaths[r].AsSpan().SequenceCompareTo(resume) < 0)
            {
                continue; // the whole range lies before the page
            }

            var range = _ranges[r];
            var (iterator, seek) = await SeekInRangeAsync(range, prefix, cancellationToken).ConfigureAwait(false);
            using var _ = iterator;
            if (resume is not null)
            {
                iterator.Seek(KeyCodec.Key(KeyCodec.RangeEntryKind, range.Id.Hash, resume));
            }

            while (iterator.Valid && iterator.Key.StartsWith(seek))
            {
                var key = iterator.Key;
                var rest = key[seek.Length..];
                var slash = rest.IndexOf((byte)'/');
                if (slash < 0)
                {
                    if (last.Count == limit)
                    {
                        return new DirectoryScan(true, last.Count, last.Cursor());
                    }

                    var path = key[KeyCodec.HeaderLength..];
                    var value = iterator.Value;
                    sink.File(path, rest, value, OrdinalAt(r, path, value) is { } ordinal ? InodeNumbers.File(ordinal) : null);
                    last.Set(rest, directory: false);
                    iterator.Next();
                    continue;
                }

                var child = rest[..slash];
                if (!last.Is(child, directory: true))
                {
                    if (last.Count == limit)
                    {
                        return new DirectoryScan(true, last.Count, last.Cursor());
                    }

                    // The iterator is at the first file below the child: its ordinal numbers the directory.
                    var first = OrdinalAt(r, key[KeyCodec.HeaderLength..], iterator.Value);
                    sink.Directory(child, first is { } ordinal ? InodeNumbers.Directory(ordinal, childDepth) : null);
                    last.Set(child, directory: true);
                }

                // Skip the subtree: the next key after "dir/child/" is "dir/child0" ('0' = '/' + 1).
                iterator.Seek(KeyCodec.Key(KeyCodec.RangeEntryKind, range.Id.Hash, ListingCursor.PastSubtree(seek.AsSpan(KeyCodec.HeaderLength), child)));
            }
        }

        return new DirectoryScan(last.Count > 0 || directory.Length == 0 || after is not null, last.Count, null);
    }

    /// <summary>
    /// The child <paramref name="name"/> of <paramref name="directory"/>: a file (one point read) or a
    /// subdirectory (one seek), with its inode number; null when there is none. Never lists the directory.
    /// </summary>
    public async Task<DirectoryItem?> LookupAsync(string directory, string name, CancellationToken cancellationToken = default)
    {
        var path = directory.Length == 0 ? name : directory + "/" + name;
        if (await ReadFileValueAsync(path, cancellationToken).ConfigureAwait(false) is var (range, value))
        {
            var ino = OrdinalAt(range, path, value) is { } ordinal ? InodeNumbers.File(ordinal) : (ulong?)null;
            return new DirectoryItem(name, EntryCodec.Decode(path, value, Record.Source + path), ino);
        }

        if (await FirstFileBelowAsync(path, cancellationToken).ConfigureAwait(false) is var (firstRange, firstPath, firstValue))
        {
            var first = OrdinalAt(firstRange, firstPath, firstValue);
            return new DirectoryItem(name, null, first is { } ordinal ? InodeNumbers.Directory(ordinal, InodeNumbers.Depth(path)) : null);
        }

        return null;
    }

    /// <summary>The stored value of the file at <paramref name="path"/> and the index of its range: one point read; null when there is no such file.</summary>
    private async Task<(int Range, byte[] Value)?> ReadFileValueAsync(string path, CancellationToken cancellationToken)
    {
        var key = Encoding.UTF8.GetBytes(path);
        var i = FirstRangeEndingAtOrAfter(key);
        if (i >= _ranges.Length || _firstPaths[i].AsSpan().SequenceCompareTo(key) > 0)
        {
            return null;
        }

        var range = _ranges[i];
        await _store.EnsureRangeAsync(range.Id, cancellationToken).ConfigureAwait(false);
        var value = _store.Database.Get(KeyCodec.Key(KeyCodec.RangeEntryKind, range.Id.Hash, key));
        return value is null ? null : (i, value);
    }

    /// <summary>The first file below <paramref name="path"/> in key order (its range, path and value): one seek per range crossed; null when none.</summary>
    private async Task<(int Range, string Path, byte[] Value)?> FirstFileBelowAsync(string path, CancellationToken cancellationToken)
    {
        var prefix = Encoding.UTF8.GetBytes(path + "/");
        foreach (var r in RangeIndexesUnder(path))
        {
            var (iterator, seek) = await SeekInRangeAsync(_ranges[r], prefix, cancellationToken).ConfigureAwait(false);
            using var _ = iterator;
            if (iterator.Valid && iterator.Key.StartsWith(seek))
            {
                return (r, KeyCodec.SuffixString(iterator.Key), iterator.Value.ToArray());
            }
        }

        return null;
    }

    /// <summary>The range that would hold the file at <paramref name="path"/>, or null when no range spans it.</summary>
    public RangeDescriptor? RangeHolding(string path)
    {
        var key = Encoding.UTF8.GetBytes(path);
        var i = FirstRangeEndingAtOrAfter(key);
        return i < _ranges.Length && _firstPaths[i].AsSpan().SequenceCompareTo(key) <= 0 ? _ranges[i] : null;
    }

    /// <summary>
    /// Every file below <paramref name="directory"/> ("" for the whole snapshot), in key order, at any
    /// depth: one iteration per range instead of one listing per directory (prefetch plans use it).
    /// </summary>
    public async IAsyncEnumerable<SnapshotEntry> FilesUnderAsync(string directory, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefix = directory.Length == 0 ? [] : Encoding.UTF8.GetBytes(directory + "/");
        foreach (var range in RangesUnder(directory))
        {
            var entries = new List<SnapshotEntry>();
            var (iterator, seek) = await SeekInRangeAsync(range, prefix, cancellationToken).ConfigureAwait(false);
            using (iterator)
            {
                for (; iterator.Valid && iterator.Key.StartsWith(seek); iterator.Next())
                {
                    var path = KeyCodec.SuffixString(iterator.Key);
                    entries.Add(EntryCodec.Decode(path, iterator.Value, Record.Source + path));
                }
            }

            foreach (var entry in entries)
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// At most <paramref name="limit"/> files below <paramref name="directory"/> ("" for the whole snapshot) whose paths
    /// sort after <paramref name="after"/>, in key order at any depth (a walk in name order crosses into the next
    /// directory), each with its ordinal (null for entry format 1). Costs one seek per range touched and one step per
    /// file returned. Empty when <paramref name="after"/> is not below <paramref name="directory"/> or nothing follows it.
    /// </summary>
    public async Task<IReadOnlyList<(SnapshotEntry Entry, long? Ordinal)>> FilesAfterAsync(string directory, string after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var prefix = directory.Length == 0 ? [] : Encoding.UTF8.GetBytes(directory + "/");
        var afterKey = Encoding.UTF8.GetBytes(after);
        var files = new List<(SnapshotEntry, long?)>();
        if (!afterKey.AsSpan().StartsWith(prefix))
        {
            return files;
        }

        foreach (var r in RangeIndexesUnder(directory))
        {
            if (_lastPaths[r].AsSpan().SequenceCompareTo(afterKey) <= 0)
            {
                continue; // the whole range lies at or before 'after'
            }

            var range = _ranges[r];
            var (iterator, seek) = await SeekInRangeAsync(range, prefix, cancellationToken).ConfigureAwait(false);
            using var _ = iterator;
            iterator.Seek(KeyCodec.Key(KeyCodec.RangeEntryKind, range.Id.Hash, afterKey));
            for (; iterator.Valid && iterator.Key.StartsWith(seek); iterator.Next())
            {
                if (iterator.Key[KeyCodec.HeaderLength..].SequenceEqual(afterKey))
                {
                    continue;
                }

                if (files.Count == limit)
                {
                    return files;
                }

                var path = KeyCodec.SuffixString(iterator.Key);
                var value = iterator.Value;
                files.Add((EntryCodec.Decode(path, value, Record.Source + path), OrdinalAt(r, path, value)));
            }
        }

        return files;
    }

    /// <summary>The ordinal of the entry of range <paramref name="range"/> holding <paramref name="value"/>; null for format 1.</summary>
    private long? OrdinalAt(int range, ReadOnlySpan<byte> path, ReadOnlySpan<byte> value) =>
        EntryCodec.LocalIndex(path, value) is { } index ? Ordinal(range, index) ?? throw Damaged(range, index, Encoding.UTF8.GetString(path)) : null;

    /// <inheritdoc cref="OrdinalAt(int, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    private long? OrdinalAt(int range, string path, ReadOnlySpan<byte> value) =>
        EntryCodec.LocalIndex(path, value) is { } index ? Ordinal(range, index) ?? throw Damaged(range, index, path) : null;

    /// <summary>The snapshot-wide ordinal of entry <paramref name="index"/> of range <paramref name="range"/>; null if the range holds fewer entries.</summary>
    private long? Ordinal(int range, int index) => index < _ranges[range].EntryCount ? _baseOrdinals[range] + index : null;

    private OrleansMountException Damaged(int range, int index, string path) =>
        new($"snapshot '{Record.Name}': entry '{path}' says it is number {index} of range {_ranges[range].Id}, which holds {_ranges[range].EntryCount}; the catalog is damaged, re-import the snapshot");

    private IEnumerable<int> RangeIndexesUnder(string directory)
    {
        var (low, high) = Span(directory);
        for (var i = FirstRangeEndingAtOrAfter(low); i < _ranges.Length && (high is null || _firstPaths[i].AsSpan().SequenceCompareTo(high) < 0); i++)
        {
            yield return i;
        }
    }

    /// <summary>Ingests the range if needed and returns an iterator positioned at <paramref name="prefix"/> inside it.</summary>
    private async Task<(RocksIterator Iterator, byte[] Seek)> SeekInRangeAsync(RangeDescriptor range, byte[] prefix, CancellationToken cancellationToken)
    {
        await _store.EnsureRangeAsync(range.Id, cancellationToken).ConfigureAwait(false);
        var seek = KeyCodec.Key(KeyCodec.RangeEntryKind, range.Id.Hash, prefix);
        var iterator = _store.Database.NewIterator();
        iterator.Seek(seek);
        return (iterator, seek);
    }

    private (byte[] Low, byte[]? High) Span(string directory)
    {
        if (directory.Length == 0)
        {
            return ([], null);
        }

        var low = Encoding.UTF8.GetBytes(directory + "/");
        return (low, KeyCodec.PrefixSuccessor(low));
    }

    private int FirstRangeEndingAtOrAfter(ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = _ranges.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_lastPaths[mid].AsSpan().SequenceCompareTo(key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Builds the <see cref="DirectoryItem"/>s of <see cref="ListDirectoryPageAsync"/>.</summary>
    private sealed class ItemSink(string source) : IDirectoryPageSink
    {
        public List<DirectoryItem> Items { get; } = [];

        public void File(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ulong? ino)
        {
            var text = Encoding.UTF8.GetString(path);
            Items.Add(new DirectoryItem(Encoding.UTF8.GetString(name), EntryCodec.Decode(text, value, source + text), ino));
        }

        public void Directory(ReadOnlySpan<byte> name, ulong? ino) => Items.Add(new DirectoryItem(Encoding.UTF8.GetString(name), null, ino));
    }

    /// <summary>The last child a scan handed out (its name copied into a reused buffer) and how many it handed out.</summary>
    private sealed class LastChild
    {
        private byte[] _name = new byte[64];
        private int _length;
        private bool _directory;

        public int Count { get; private set; }

        public bool Is(ReadOnlySpan<byte> name, bool directory) => Count > 0 && _directory == directory && name.SequenceEqual(_name.AsSpan(0, _length));

        public void Set(ReadOnlySpan<byte> name, bool directory)
        {
            if (name.Length > _name.Length)
            {
                _name = new byte[Math.Max(name.Length, _name.Length * 2)];
            }

            name.CopyTo(_name);
            (_length, _directory) = (name.Length, directory);
            Count++;
        }

        /// <summary>The cursor of the page after it: <see cref="ListingCursor.After"/> of the last child.</summary>
        public string Cursor() => ListingCursor.After(Encoding.UTF8.GetString(_name, 0, _length), _directory);
    }
}
