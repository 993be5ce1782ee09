using System.Text;
using OrleansMount.Core;

namespace OrleansMount.Storage.Import;

/// <summary>
/// What the importer sorts for each listed object, as an <see cref="ExternalSorter"/> record: the
/// key is the path's UTF-8 bytes (relative to the imported prefix), then a kind byte, then:
/// <code>
/// kind 0  directory   (nothing): a directory that some listed file lies under
/// kind 1  file        varint size, zigzag UTC ticks of the last modification, u8 etag kind
///                     (0 = varint length + UTF-8, 1 = 32 lowercase hex digits as 16 bytes), etag
/// kind 2  skipped     u8 <see cref="PathVerdict"/>: a key the path rules refuse
/// </code>
/// A directory record sorts just before a file of the same path, so the merge sees "a/b is a
/// directory" right before the file "a/b" it shadows, however many keys lie between "a/b" and
/// "a/b/" in byte order ("a/b-1", "a/b.txt"). Only used inside one import: not a stored format.
/// </summary>
internal static class ListingRecord
{
    public const byte Directory = 0;
    public const byte File = 1;
    public const byte Skipped = 2;

    private const int MaxHeader = 5 + 1 + 10 + 10 + 1 + 5;
    private const int StackLimit = 2048;

    public static void AddFile(ExternalSorter sorter, string path, long size, DateTimeOffset modified, string etag)
    {
        var pathBytes = Encoding.UTF8.GetByteCount(path);
        var etagHex = IsLowerHex32(etag);
        var etagBytes = etagHex ? 16 : Encoding.UTF8.GetByteCount(etag);
        var length = MaxHeader + pathBytes + etagBytes;
        var span = length <= StackLimit ? stackalloc byte[length] : new byte[length];
        var p = WritePath(span, path, pathBytes);
        span[p++] = File;
        p += VarInt.Write(span[p..], (ulong)size);
        p += VarInt.WriteSigned(span[p..], modified.UtcTicks);
        if (etagHex)
        {
            span[p++] = 1;
            Convert.FromHexString(etag, span.Slice(p, 16), out _, out _);
            p += 16;
        }
        else
        {
            span[p++] = 0;
            p += VarInt.Write(span[p..], (ulong)etagBytes);
            p += Encoding.UTF8.GetBytes(etag, span[p..]);
        }

        sorter.Add(span[..p]);
    }

    public static void AddSkipped(ExternalSorter sorter, string path, PathVerdict verdict)
    {
        var pathBytes = Encoding.UTF8.GetByteCount(path);
        var length = MaxHeader + pathBytes;
        var span = length <= StackLimit ? stackalloc byte[length] : new byte[length];
        var p = WritePath(span, path, pathBytes);
        span[p++] = Skipped;
        span[p++] = (byte)verdict;
        sorter.Add(span[..p]);
    }

    public static void AddDirectory(ExternalSorter sorter, ReadOnlySpan<char> path)
    {
        var pathBytes = Encoding.UTF8.GetByteCount(path);
        var length = 5 + 1 + pathBytes;
        var span = length <= StackLimit ? stackalloc byte[length] : new byte[length];
        var p = VarInt.Write(span, (ulong)pathBytes);
        p += Encoding.UTF8.GetBytes(path, span[p..]);
        span[p++] = Directory;
        sorter.Add(span[..p]);
    }

    /// <summary>The path bytes and kind of a record; <paramref name="payload"/> is what follows the kind.</summary>
    public static ReadOnlySpan<byte> Read(ReadOnlySpan<byte> record, out byte kind, out int payload)
    {
        var path = ExternalSorter.KeyOf(record, out var rest);
        kind = record[rest];
        payload = rest + 1;
        return path;
    }

    public static (long Size, DateTimeOffset Modified, string ETag) ReadFile(ReadOnlySpan<byte> record, int payload)
    {
        var p = payload;
        var size = (long)VarInt.Read(record, ref p);
        var modified = new DateTimeOffset(VarInt.ReadSigned(record, ref p), TimeSpan.Zero);
        string etag;
        if (record[p++] == 1)
        {
            etag = Convert.ToHexStringLower(record.Slice(p, 16));
        }
        else
        {
            var length = (int)VarInt.Read(record, ref p);
            etag = Encoding.UTF8.GetString(record.Slice(p, length));
        }

        return (size, modified, etag);
    }

    private static int WritePath(Span<byte> span, string path, int pathBytes)
    {
        var p = VarInt.Write(span, (ulong)pathBytes);
        p += Encoding.UTF8.GetBytes(path, span[p..]);
        return p;
    }

    private static bool IsLowerHex32(string etag) =>
        etag.Length == 32 && etag.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
