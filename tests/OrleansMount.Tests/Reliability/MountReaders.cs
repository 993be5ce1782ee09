using System.Collections.Concurrent;
using OrleansMount.Tests.Fuse;

namespace OrleansMount.Tests.Reliability;

/// <summary>
/// Concurrent readers spread over kernel mounts of one snapshot until a deadline: random-offset reads
/// and whole-file reads, each compared with the source's bytes, the file's pages dropped from the page
/// cache after each read so the next one reaches the mount. Failures are collected, not thrown.
/// </summary>
internal sealed class MountReaders
{
    private readonly ConcurrentQueue<string> _errors = new();
    private long _reads;
    private long _bytes;

    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Bytes read and compared with the source.</summary>
    public long BytesVerified => Interlocked.Read(ref _bytes);

    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>Runs <paramref name="readers"/> readers (reader i on mount i mod count) until <paramref name="until"/>.</summary>
    public Task RunAsync(IReadOnlyList<string> mounts, IReadOnlyDictionary<string, byte[]> files, int readers, DateTime until)
    {
        var keys = files.Keys.Order(StringComparer.Ordinal).ToArray();
        return Task.WhenAll(Enumerable.Range(0, readers).Select(r => Task.Run(() => Read(mounts[r % mounts.Count], files, keys, new Random(r), until))));
    }

    private void Read(string mnt, IReadOnlyDictionary<string, byte[]> files, string[] keys, Random random, DateTime until)
    {
        var buffer = new byte[1024 * 1024];
        while (DateTime.UtcNow < until)
        {
            var key = keys[random.Next(keys.Length)];
            var source = files[key];
            try
            {
                using var handle = File.OpenHandle(Path.Combine(mnt, key));
                if (random.Next(4) == 0)
                {
                    // The whole file, sequentially, in 1 MiB reads.
                    for (long offset = 0; offset < source.Length;)
                    {
                        var n = RandomAccess.Read(handle, buffer, offset);
                        Check(key, source, offset, buffer.AsSpan(0, n), Math.Min(buffer.Length, source.Length - offset));
                        offset += Math.Max(n, 1);
                    }
                }
                else
                {
                    var offset = random.NextInt64(source.Length + 1);
                    var length = random.Next(1, 256 * 1024);
                    var n = RandomAccess.Read(handle, buffer.AsSpan(0, length), offset);
                    Check(key, source, offset, buffer.AsSpan(0, n), Math.Min(length, source.Length - offset));
                }

                LibC.DropCachedPages(handle);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                _errors.Enqueue($"{mnt}/{key}: {e.Message}");
            }
        }
    }

    private void Check(string key, byte[] source, long offset, ReadOnlySpan<byte> read, long expectedLength)
    {
        Interlocked.Increment(ref _reads);
        if (read.Length != expectedLength || !read.SequenceEqual(source.AsSpan((int)offset, read.Length)))
        {
            throw new InvalidDataException($"{read.Length} bytes at {offset} of {key} differ from the source ({expectedLength} expected)");
        }

        Interlocked.Add(ref _bytes, read.Length);
    }
}
