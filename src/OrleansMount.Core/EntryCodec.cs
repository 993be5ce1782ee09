using System.Text;

namespace OrleansMount.Core;

/// <summary>
/// The value of an entry in a range SST (format version 2), frozen by a golden test:
/// <code>
/// u8      version = 2
/// varint  index of the entry within its range (0-based, in key order): with the range's base ordinal,
///         the sum of the entry counts of the ranges before it, the entry's ordinal (<see cref="InodeNumbers"/>)
/// varint  size
/// zigzag  mtime, nanoseconds since the Unix epoch
/// u8      etag kind: 0 = UTF-8 string (varint length + bytes), 1 = 32 lowercase hex digits stored as 16 bytes
/// ...     etag
/// 16 B    identity
/// varint  length of the physical address override, then its UTF-8 bytes; 0 means
///         "the snapshot's source address + the entry's path" (the common case, costs one byte)
/// </code>
/// The key is the entry's path (see <see cref="KeyCodec"/>). Version 1 is version 2 without the index;
/// it still decodes (<see cref="LocalIndex"/> is then null: such a snapshot has no inode numbers and
/// cannot be mounted until it is imported again, docs/decisions/0013-inode-numbers.md).
/// </summary>
public static class EntryCodec
{
    public const byte Version = 2;

    /// <summary>Values written before inode numbering: no index within the range.</summary>
    public const byte Version1 = 1;

    /// <param name="entry">the file</param>
    /// <param name="derivedAddress">the address the reader derives from the snapshot source and the path</param>
    /// <param name="localIndex">the entry's position within its range (0 for the range's first key)</param>
    public static byte[] Encode(SnapshotEntry entry, string derivedAddress, int localIndex)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNegative(localIndex);
        var etagHex = IsLowerHex32(entry.ETag);
        var etagBytes = etagHex ? Convert.FromHexString(entry.ETag) : Encoding.UTF8.GetBytes(entry.ETag);
        var address = entry.PhysicalAddress == derivedAddress ? [] : Encoding.UTF8.GetBytes(entry.PhysicalAddress);
        var buffer = new byte[1 + 10 + 10 + 10 + 1 + 10 + etagBytes.Length + ObjectIdentity.Length + 10 + address.Length];
        var span = buffer.AsSpan();
        var p = 0;
        span[p++] = Version;
        p += VarInt.Write(span[p..], (ulong)localIndex);
        p += VarInt.Write(span[p..], (ulong)entry.Size);
        p += VarInt.WriteSigned(span[p..], ToUnixNanoseconds(entry.ModifiedTime));
        span[p++] = etagHex ? (byte)1 : (byte)0;
        if (!etagHex)
        {
            p += VarInt.Write(span[p..], (ulong)etagBytes.Length);
        }

        etagBytes.CopyTo(span[p..]);
        p += etagBytes.Length;
        entry.Identity.WriteTo(span[p..]);
        p += ObjectIdentity.Length;
        p += VarInt.Write(span[p..], (ulong)address.Length);
        address.CopyTo(span[p..]);
        p += address.Length;
        return buffer[..p];
    }

    /// <param name="path">the entry's path (from the key)</param>
    /// <param name="derivedAddress">the address used when the value holds no override</param>
    public static SnapshotEntry Decode(string path, ReadOnlySpan<byte> value, string derivedAddress)
    {
        var p = 0;
        _ = ReadHeader(path, value, ref p);
        var size = (long)VarInt.Read(value, ref p);
        var mtime = FromUnixNanoseconds(VarInt.ReadSigned(value, ref p));
        var kind = value[p++];
        string etag;
        if (kind == 1)
        {
            etag = Convert.ToHexStringLower(value.Slice(p, 16));
            p += 16;
        }
        else
        {
            var length = (int)VarInt.Read(value, ref p);
            etag = Encoding.UTF8.GetString(value.Slice(p, length));
            p += length;
        }

        var identity = ObjectIdentity.FromBytes(value.Slice(p, ObjectIdentity.Length));
        p += ObjectIdentity.Length;
        var addressLength = (int)VarInt.Read(value, ref p);
        var address = addressLength == 0 ? derivedAddress : Encoding.UTF8.GetString(value.Slice(p, addressLength));
        return new SnapshotEntry(path, size, mtime, etag, address, identity);
    }

    /// <summary>
    /// The fields of a stored value a listing page sends for a file, read in place: no string or object per entry
    /// (docs/decisions/0032-listing-pages-without-objects.md). The header is checked as <see cref="LocalIndex(string, ReadOnlySpan{byte})"/> checks it.
    /// </summary>
    /// <param name="path">the entry's path (UTF-8, from the key), for an error message only</param>
    /// <param name="value">the encoded value</param>
    public static EntryFields ReadFields(ReadOnlySpan<byte> path, ReadOnlySpan<byte> value)
    {
        var p = 0;
        if (!TryReadHeader(value, ref p, out _, out var error))
        {
            throw new FormatException($"entry '{Encoding.UTF8.GetString(path)}': {error}");
        }

        var size = (long)VarInt.Read(value, ref p);
        var mtime = VarInt.ReadSigned(value, ref p);
        var hex = value[p++] == 1;
        var etagLength = hex ? 16 : (int)VarInt.Read(value, ref p);
        var etag = value.Slice(p, etagLength);
        p += etagLength;
        p += ObjectIdentity.Length;
        var addressLength = (int)VarInt.Read(value, ref p);
        return new EntryFields(size, mtime, hex, etag, value.Slice(p, addressLength));
    }

    /// <summary>Why snapshot <paramref name="snapshot"/> of <paramref name="source"/> cannot be mounted: its entries are format 1, without inode numbers.</summary>
    public static string UnnumberedError(string snapshot, string source) =>
        $"snapshot '{snapshot}' was imported before inode numbering (entry format {Version1}) and cannot be mounted: "
        + $"import it again with 'orleansmount import {source} --snapshot {snapshot} --replace'";

    /// <summary>
    /// The entry's index within its range, read without decoding the rest; null for a version 1 value,
    /// which has none.
    /// </summary>
    /// <param name="path">the entry's path, for the error message</param>
    /// <param name="value">the encoded value</param>
    public static int? LocalIndex(string path, ReadOnlySpan<byte> value)
    {
        var p = 0;
        return ReadHeader(path, value, ref p);
    }

    /// <summary>The entry's index within its range (<see cref="LocalIndex(string, ReadOnlySpan{byte})"/>), the path as UTF-8.</summary>
    public static int? LocalIndex(ReadOnlySpan<byte> path, ReadOnlySpan<byte> value)
    {
        var p = 0;
        return TryReadHeader(value, ref p, out var index, out var error) ? index : throw new FormatException($"entry '{Encoding.UTF8.GetString(path)}': {error}");
    }

    public static long ToUnixNanoseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public static DateTimeOffset FromUnixNanoseconds(long nanoseconds) => new(DateTimeOffset.UnixEpoch.UtcTicks + (nanoseconds / 100), TimeSpan.Zero);

    private static int? ReadHeader(string path, ReadOnlySpan<byte> value, ref int p) =>
        TryReadHeader(value, ref p, out var index, out var error) ? index : throw new FormatException($"entry '{path}': {error}");

    private static bool TryReadHeader(ReadOnlySpan<byte> value, ref int p, out int? index, out string? error)
    {
        (index, error) = (null, null);
        var version = value.Length == 0 ? -1 : value[p++];
        if (version == Version1)
        {
            return true;
        }

        if (version != Version)
        {
            error = $"unknown entry format version {version}";
            return false;
        }

        var read = VarInt.Read(value, ref p);
        if (read > int.MaxValue)
        {
            error = $"index {read} within its range is out of bounds";
            return false;
        }

        index = (int)read;
        return true;
    }

    private static bool IsLowerHex32(string etag) =>
        etag.Length == 32 && etag.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}

/// <summary>
/// The fields of a stored entry a listing sends, as <see cref="EntryCodec.ReadFields"/> reads them, pointing into the
/// value (the index within the range: <see cref="EntryCodec.LocalIndex(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>).
/// </summary>
/// <param name="mtimeNs">nanoseconds since the Unix epoch</param>
/// <param name="etagIsHex">whether <paramref name="etag"/> holds the 16 bytes of 32 lowercase hex digits (else the ETag's UTF-8)</param>
/// <param name="addressOverride">the physical address's UTF-8 when it is not the snapshot's source followed by the path; empty when it is</param>
public readonly ref struct EntryFields(long size, long mtimeNs, bool etagIsHex, ReadOnlySpan<byte> etag, ReadOnlySpan<byte> addressOverride)
{
    public long Size { get; } = size;

    public long MtimeNs { get; } = mtimeNs;

    public bool ETagIsHex { get; } = etagIsHex;

    public ReadOnlySpan<byte> ETag { get; } = etag;

    public ReadOnlySpan<byte> AddressOverride { get; } = addressOverride;
}
