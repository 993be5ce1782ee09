using System.Buffers;
using System.Text;
using OrleansMount.Core;

namespace OrleansMount.Grains.Protocol;

/// <summary>
/// The binary form of a <see cref="DirectoryListing"/> (<c>format=binary</c>, docs/api.md): what a mount asks for,
/// because parsing JSON was most of its CPU during a first walk (about 3 µs per child). Layout: the magic
/// <c>OML1</c>; the snapshot id, the path and the cursor (a presence byte, then the string); the number of items;
/// then per item a flags byte (1 directory, 2 ETag, 4 identity, 8 address), the name, the inode number, the size and
/// the mtime in nanoseconds, then the optional strings the flags announce. Strings are a varint byte length and UTF-8;
/// numbers are LEB128 varints (signed ones zigzag, <see cref="VarInt"/>). Anything else, truncated or trailing bytes
/// included, is a <see cref="FormatException"/>.
/// </summary>
public static class ListingCodec
{
    public const string ContentType = "application/vnd.orleansmount.listing";

    private const byte DirFlag = 1;
    private const byte ETagFlag = 2;
    private const byte IdentityFlag = 4;
    private const byte AddressFlag = 8;
    private const byte KnownFlags = DirFlag | ETagFlag | IdentityFlag | AddressFlag;

    private static ReadOnlySpan<byte> Magic => "OML1"u8;

    public static byte[] Encode(DirectoryListing listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var output = new ArrayBufferWriter<byte>(64 + (listing.Items.Count * 48));
        WriteHeader(output, listing.SnapshotId, listing.Path, listing.Next, listing.Items.Count);
        foreach (var item in listing.Items)
        {
            var flags = (byte)((item.Dir ? DirFlag : 0) | (item.ETag is null ? 0 : ETagFlag) | (item.Identity is null ? 0 : IdentityFlag) | (item.Address is null ? 0 : AddressFlag));
            output.Write([flags]);
            WriteString(output, item.Name);
            WriteItemNumbers(output, item.Ino, item.Size, item.MtimeNs);
            WriteIfSet(output, item.ETag);
            WriteIfSet(output, item.Identity);
            WriteIfSet(output, item.Address);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>The listing's bytes up to its first item (<see cref="CompactListingWriter"/> writes the items).</summary>
    internal static void WriteHeader(ArrayBufferWriter<byte> output, string snapshotId, string path, string? next, int count)
    {
        output.Write(Magic);
        WriteString(output, snapshotId);
        WriteString(output, path);
        WriteOptional(output, next);
        WriteVarInt(output, (ulong)count);
    }

    /// <summary>An item's flags and name (already UTF-8), then its numbers: what every item starts with.</summary>
    internal static void WriteItemStart(ArrayBufferWriter<byte> output, bool directory, bool etag, bool address, ReadOnlySpan<byte> name, ulong ino, long size, long mtimeNs)
    {
        output.Write([(byte)((directory ? DirFlag : 0) | (etag ? ETagFlag : 0) | (address ? AddressFlag : 0))]);
        WriteBytes(output, name);
        WriteItemNumbers(output, ino, size, mtimeNs);
    }

    /// <summary>A string field given as UTF-8.</summary>
    internal static void WriteBytes(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> utf8)
    {
        WriteVarInt(output, (ulong)utf8.Length);
        output.Write(utf8);
    }

    /// <summary>A string field holding <paramref name="bytes"/> as lowercase hex digits (an ETag stored as 16 bytes).</summary>
    internal static void WriteLowerHex(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteVarInt(output, (ulong)bytes.Length * 2);
        Convert.TryToHexStringLower(bytes, output.GetSpan(bytes.Length * 2), out var written);
        output.Advance(written);
    }

    private static void WriteItemNumbers(ArrayBufferWriter<byte> output, ulong ino, long size, long mtimeNs)
    {
        WriteVarInt(output, ino);
        WriteSigned(output, size);
        WriteSigned(output, mtimeNs);
    }

    public static DirectoryListing Decode(ReadOnlySpan<byte> data)
    {
        if (!data.StartsWith(Magic))
        {
            throw new FormatException("not a binary listing (no OML1 magic)");
        }

        var position = Magic.Length;
        var snapshotId = ReadString(data, ref position);
        var path = ReadString(data, ref position);
        var next = ReadOptional(data, ref position);
        var count = VarInt.Read(data, ref position);
        if (count > (ulong)(data.Length - position) / 5)
        {
            throw new FormatException($"a binary listing of {data.Length} bytes cannot hold {count} items");
        }

        var items = new ListingItem[(int)count];
        for (var i = 0; i < items.Length; i++)
        {
            var flags = Byte(data, ref position);
            if ((flags & ~KnownFlags) != 0)
            {
                throw new FormatException($"item {i} of a binary listing has unknown flags 0x{flags:x2}");
            }

            var name = ReadString(data, ref position);
            var ino = VarInt.Read(data, ref position);
            var size = VarInt.ReadSigned(data, ref position);
            var mtime = VarInt.ReadSigned(data, ref position);
            var etag = (flags & ETagFlag) != 0 ? ReadString(data, ref position) : null;
            var identity = (flags & IdentityFlag) != 0 ? ReadString(data, ref position) : null;
            var address = (flags & AddressFlag) != 0 ? ReadString(data, ref position) : null;
            items[i] = new ListingItem(name, (flags & DirFlag) != 0, size, mtime, etag, identity, address, ino);
        }

        if (position != data.Length)
        {
            throw new FormatException($"{data.Length - position} bytes after the last item of a binary listing");
        }

        return new DirectoryListing(snapshotId, path, items, next);
    }

    private static void WriteVarInt(ArrayBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        output.Advance(VarInt.Write(span, value));
    }

    private static void WriteSigned(ArrayBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(10);
        output.Advance(VarInt.WriteSigned(span, value));
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarInt(output, (ulong)length);
        var span = output.GetSpan(length);
        output.Advance(Encoding.UTF8.GetBytes(value, span));
    }

    private static void WriteOptional(ArrayBufferWriter<byte> output, string? value)
    {
        output.Write([(byte)(value is null ? 0 : 1)]);
        WriteIfSet(output, value);
    }

    private static void WriteIfSet(ArrayBufferWriter<byte> output, string? value)
    {
        if (value is not null)
        {
            WriteString(output, value);
        }
    }

    private static byte Byte(ReadOnlySpan<byte> data, ref int position) =>
        position < data.Length ? data[position++] : throw new FormatException("truncated binary listing");

    private static string ReadString(ReadOnlySpan<byte> data, ref int position)
    {
        var length = VarInt.Read(data, ref position);
        if (length > (ulong)(data.Length - position))
        {
            throw new FormatException($"a string of {length} bytes runs past the end of the binary listing");
        }

        var value = Encoding.UTF8.GetString(data.Slice(position, (int)length));
        position += (int)length;
        return value;
    }

    private static string? ReadOptional(ReadOnlySpan<byte> data, ref int position) => Byte(data, ref position) switch
    {
        0 => null,
        1 => ReadString(data, ref position),
        var other => throw new FormatException($"presence byte {other} in a binary listing"),
    };
}
