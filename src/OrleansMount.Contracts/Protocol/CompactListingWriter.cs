using System.Buffers;
using System.Text;
using OrleansMount.Core;

namespace OrleansMount.Grains.Protocol;

/// <summary>
/// A compact binary listing page (<see cref="ListingCodec"/>; <c>format=binary&amp;compact=true</c>, what mounts ask
/// for) written straight from a scan of the metadata store: the bytes <see cref="ListingCodec.Encode"/> writes for the
/// page's compact items (ETag, no identity, the address only when it is not the source followed by the path), without
/// a string or an object per child (docs/decisions/0032-listing-pages-without-objects.md).
/// </summary>
public sealed class CompactListingWriter : IDirectoryPageSink
{
    private readonly ArrayBufferWriter<byte> _items = new(16 * 1024);
    private readonly byte[] _source;
    private readonly long _directoryMtimeNs;
    private readonly string _sourceText;
    private readonly string _snapshot;

    /// <param name="source">the snapshot's source address (an entry's address is derived from it)</param>
    /// <param name="directoryMtimeNs">every subdirectory's mtime (the snapshot's creation)</param>
    /// <param name="snapshot">the snapshot's name (for the error a child without an inode number gets: <see cref="EntryCodec.UnnumberedError"/>)</param>
    public CompactListingWriter(string source, long directoryMtimeNs, string snapshot)
    {
        _source = Encoding.UTF8.GetBytes(source);
        _sourceText = source;
        _directoryMtimeNs = directoryMtimeNs;
        _snapshot = snapshot;
    }

    /// <summary>Children written so far.</summary>
    public int Count { get; private set; }

    public void File(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ulong? ino)
    {
        var entry = EntryCodec.ReadFields(path, value);
        var address = entry.AddressOverride;
        var derived = address.IsEmpty || (address.Length == _source.Length + path.Length && address.StartsWith(_source) && address[_source.Length..].SequenceEqual(path));
        ListingCodec.WriteItemStart(_items, directory: false, etag: true, address: !derived, name, ino ?? throw new OrleansMountException(EntryCodec.UnnumberedError(_snapshot, _sourceText)), entry.Size, WholeTicks(entry.MtimeNs));
        if (entry.ETagIsHex)
        {
            ListingCodec.WriteLowerHex(_items, entry.ETag);
        }
        else
        {
            ListingCodec.WriteBytes(_items, entry.ETag);
        }

        if (!derived)
        {
            ListingCodec.WriteBytes(_items, address);
        }

        Count++;
    }

    public void Directory(ReadOnlySpan<byte> name, ulong? ino)
    {
        ListingCodec.WriteItemStart(_items, directory: true, etag: false, address: false, name, ino ?? throw new OrleansMountException(EntryCodec.UnnumberedError(_snapshot, _sourceText)), 0, _directoryMtimeNs);
        Count++;
    }

    /// <summary>
    /// The mtime as a listing built from a decoded entry carries it: through <see cref="DateTimeOffset"/>, whole
    /// 100 ns ticks (a file:// source stores nanoseconds).
    /// </summary>
    private static long WholeTicks(long nanoseconds) => EntryCodec.ToUnixNanoseconds(EntryCodec.FromUnixNanoseconds(nanoseconds));

    /// <summary>The whole listing: its header (snapshot, path, <paramref name="next"/> cursor, count), then the items.</summary>
    public byte[] Finish(string snapshotId, string path, string? next)
    {
        var header = new ArrayBufferWriter<byte>(64 + (2 * (path.Length + (next?.Length ?? 0))));
        ListingCodec.WriteHeader(header, snapshotId, path, next, Count);
        var listing = new byte[header.WrittenCount + _items.WrittenCount];
        header.WrittenSpan.CopyTo(listing);
        _items.WrittenSpan.CopyTo(listing.AsSpan(header.WrittenCount));
        return listing;
    }
}
