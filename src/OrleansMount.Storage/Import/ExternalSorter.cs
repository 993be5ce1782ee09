using OrleansMount.Core;

namespace OrleansMount.Storage.Import;

/// <summary>
/// Sorts byte records with bounded memory (docs/decisions/0022-import-external-sort.md). A record is
/// <c>varint key length, key bytes, rest</c>; records order by key bytes (shorter first on a common
/// prefix, i.e. UTF-8 byte order for UTF-8 keys), then by the rest. Records are packed into arena
/// chunks with one 8-byte index each; when the arena reaches <c>memoryBytes</c> it is sorted and
/// spilled to a run file in the work directory, and the runs are merged with a heap at the end.
/// A listing that fits stays in memory and is never written. Run files are deleted as soon as they
/// are merged, and on <see cref="Dispose"/>.
/// </summary>
internal sealed class ExternalSorter : IDisposable
{
    /// <summary>Runs merged at once; beyond this, runs are first merged into longer runs (each open run holds one read buffer).</summary>
    internal const int MaxFanIn = 64;

    private const int ReadBufferBytes = 64 * 1024;
    private const int WriteBufferBytes = 1024 * 1024;

    private readonly string _directory;
    private readonly long _memoryBytes;
    private readonly int _chunkBytes;
    private readonly List<byte[]> _chunks = [];
    private readonly List<string> _runs = [];
    private long[] _index = new long[1024];
    private int _count;
    private int _chunk;
    private int _position;
    private int _runNumber;
    private bool _sorted;

    /// <param name="directory">where run files go (created if missing)</param>
    /// <param name="memoryBytes">the arena and its index at most, before a run is spilled</param>
    /// <param name="chunkBytes">arena chunk size; tests make it tiny to force many runs</param>
    public ExternalSorter(string directory, long memoryBytes, int chunkBytes = 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryBytes, chunkBytes);
        _directory = directory;
        _memoryBytes = memoryBytes;
        _chunkBytes = chunkBytes;
    }

    /// <summary>Records added so far.</summary>
    public long Added { get; private set; }

    /// <summary>Run files written so far (0 when everything fit in memory).</summary>
    public int RunsSpilled { get; private set; }

    /// <summary>Bytes written to run files so far.</summary>
    public long BytesSpilled { get; private set; }

    /// <summary>Memory held by the arena and its index now.</summary>
    public long MemoryBytes => _chunks.Sum(c => (long)c.Length) + (_index.Length * 8L);

    public void Add(ReadOnlySpan<byte> record)
    {
        if (_sorted)
        {
            throw new InvalidOperationException("records added after sorting");
        }

        ValidateRecord(record);
        Span<byte> header = stackalloc byte[5];
        var headerLength = VarInt.Write(header, (ulong)record.Length);
        var length = headerLength + record.Length;
        if (!TryReserve(length))
        {
            Spill();
            TryReserve(length); // always succeeds on an empty arena
        }

        var target = _chunks[_chunk].AsSpan(_position);
        header[..headerLength].CopyTo(target);
        record.CopyTo(target[headerLength..]);
        if (_count == _index.Length)
        {
            Array.Resize(ref _index, _index.Length * 2);
        }

        _index[_count++] = ((long)_chunk << 32) | (uint)_position;
        _position += length;
        Added++;
    }

    /// <summary>
    /// Every record added, in order, once. Each yielded memory is valid until the next is asked for.
    /// </summary>
    public IEnumerable<ReadOnlyMemory<byte>> Sorted(CancellationToken cancellationToken = default)
    {
        if (_sorted)
        {
            throw new InvalidOperationException("a sorter is read once");
        }

        _sorted = true;
        return _runs.Count == 0 ? InMemory(cancellationToken) : Merged(cancellationToken);
    }

    public void Dispose()
    {
        foreach (var run in _runs)
        {
            File.Delete(run);
        }

        _runs.Clear();
        _chunks.Clear();
        _index = [];
    }

    /// <summary>The key bytes of a record.</summary>
    public static ReadOnlySpan<byte> KeyOf(ReadOnlySpan<byte> record, out int restStart)
    {
        var p = 0;
        var length = (int)VarInt.Read(record, ref p);
        restStart = p + length;
        return record.Slice(p, length);
    }

    public static int Compare(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        var c = KeyOf(x, out var xRest).SequenceCompareTo(KeyOf(y, out var yRest));
        return c != 0 ? c : x[xRest..].SequenceCompareTo(y[yRest..]);
    }

    private static void ValidateRecord(ReadOnlySpan<byte> record)
    {
        var p = 0;
        var length = VarInt.Read(record, ref p);
        if ((ulong)p + length > (ulong)record.Length)
        {
            throw new ArgumentException("a record's key is longer than the record", nameof(record));
        }
    }

    private bool TryReserve(int length)
    {
        if (_chunks.Count > 0 && _chunks[_chunk].Length - _position >= length)
        {
            return true;
        }

        // The next chunk: one already allocated (by an earlier run), or a new one within the budget.
        // Chunks are filled in order, so inserting after the current one moves no record.
        if (_chunk + 1 < _chunks.Count && _chunks[_chunk + 1].Length >= length)
        {
            _chunk++;
            _position = 0;
            return true;
        }

        var size = Math.Max(_chunkBytes, length);
        var held = _chunks.Sum(c => (long)c.Length) + (_index.Length * 8L);
        if (_count > 0 && held + size > _memoryBytes)
        {
            return false;
        }

        _chunks.Insert(_chunks.Count == 0 ? 0 : _chunk + 1, new byte[size]);
        _chunk = _chunks.Count == 1 ? 0 : _chunk + 1;
        _position = 0;
        return true;
    }

    private ReadOnlyMemory<byte> RecordAt(long entry)
    {
        var chunk = _chunks[(int)(entry >> 32)];
        var position = (int)(uint)entry;
        var p = position;
        var length = (int)VarInt.Read(chunk, ref p);
        return chunk.AsMemory(p, length);
    }

    private void SortArena() =>
        Array.Sort(_index, 0, _count, Comparer<long>.Create((a, b) => Compare(RecordAt(a).Span, RecordAt(b).Span)));

    private void Spill()
    {
        if (_count == 0)
        {
            return;
        }

        SortArena();
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, $"run-{_runNumber++:000000}.bin");
        _runs.Add(path);
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteBufferBytes);
            for (var i = 0; i < _count; i++)
            {
                WriteFramed(stream, RecordAt(_index[i]).Span);
            }

            BytesSpilled += stream.Length;
        }
        catch (IOException e)
        {
            throw CannotWrite(e);
        }

        RunsSpilled++;
        _count = 0;
        _chunk = 0;
        _position = 0;

        // Keep the standard chunks for the next run; drop any made for an oversized record.
        _chunks.RemoveAll(c => c.Length != _chunkBytes);
    }

    private FileStream CreateRun(string path)
    {
        try
        {
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteBufferBytes);
        }
        catch (IOException e)
        {
            throw CannotWrite(e);
        }
    }

    private void Write(Stream stream, ReadOnlySpan<byte> record)
    {
        try
        {
            WriteFramed(stream, record);
        }
        catch (IOException e)
        {
            throw CannotWrite(e);
        }
    }

    private OrleansMountException CannotWrite(IOException e) =>
        new($"cannot write the import's sorted listing to {_directory}: {e.Message}; free space there or pass --work-dir DIR (it needs about 60 bytes per object)", 1, e);

    private static void WriteFramed(Stream stream, ReadOnlySpan<byte> record)
    {
        Span<byte> header = stackalloc byte[5];
        stream.Write(header[..VarInt.Write(header, (ulong)record.Length)]);
        stream.Write(record);
    }

    private IEnumerable<ReadOnlyMemory<byte>> InMemory(CancellationToken cancellationToken)
    {
        SortArena();
        for (var i = 0; i < _count; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            yield return RecordAt(_index[i]);
        }
    }

    private IEnumerable<ReadOnlyMemory<byte>> Merged(CancellationToken cancellationToken)
    {
        Spill();
        _chunks.Clear();
        _index = [];

        // Too many runs for one merge: merge the oldest into longer runs first.
        while (_runs.Count > MaxFanIn)
        {
            var group = _runs.GetRange(0, MaxFanIn);
            _runs.RemoveRange(0, MaxFanIn);
            var path = Path.Combine(_directory, $"run-{_runNumber++:000000}.bin");
            _runs.Add(path);
            var stream = CreateRun(path);
            using (stream)
            {
                foreach (var record in Merge(group, cancellationToken))
                {
                    Write(stream, record.Span);
                }

                BytesSpilled += stream.Length;
            }
        }

        foreach (var record in Merge(_runs.ToList(), cancellationToken))
        {
            yield return record;
        }
    }

    /// <summary>Merges run files with a heap of their current records; deletes each run once read.</summary>
    private IEnumerable<ReadOnlyMemory<byte>> Merge(List<string> runs, CancellationToken cancellationToken)
    {
        var readers = new List<RunReader>(runs.Count);
        try
        {
            foreach (var run in runs)
            {
                readers.Add(new RunReader(run));
            }

            var heap = new PriorityQueue<int, int>(Comparer<int>.Create((a, b) =>
            {
                var c = Compare(readers[a].Current.Span, readers[b].Current.Span);
                return c != 0 ? c : a.CompareTo(b);
            }));
            for (var i = 0; i < readers.Count; i++)
            {
                if (readers[i].MoveNext())
                {
                    heap.Enqueue(i, i);
                }
            }

            long yielded = 0;
            while (heap.TryDequeue(out var next, out _))
            {
                if ((++yielded & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                yield return readers[next].Current;
                if (readers[next].MoveNext())
                {
                    heap.Enqueue(next, next);
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }

            foreach (var run in runs)
            {
                File.Delete(run);
            }
        }
    }

    /// <summary>Reads the framed records of one run file, one at a time into a reused buffer.</summary>
    private sealed class RunReader : IDisposable
    {
        private readonly FileStream _stream;
        private byte[] _buffer = new byte[256];
        private int _length;

        public RunReader(string path)
        {
            _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ReadBufferBytes, FileOptions.SequentialScan);
        }

        public ReadOnlyMemory<byte> Current => _buffer.AsMemory(0, _length);

        public bool MoveNext()
        {
            ulong length = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _stream.ReadByte();
                if (b < 0)
                {
                    if (shift == 0)
                    {
                        return false;
                    }

                    throw new InvalidDataException($"run file {_stream.Name} ends inside a record");
                }

                length |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }

                if (shift > 28)
                {
                    throw new InvalidDataException($"run file {_stream.Name} holds a bad record length");
                }
            }

            _length = (int)length;
            if (_buffer.Length < _length)
            {
                _buffer = new byte[Math.Max(_length, _buffer.Length * 2)];
            }

            _stream.ReadExactly(_buffer, 0, _length);
            return true;
        }

        public void Dispose() => _stream.Dispose();
    }
}
