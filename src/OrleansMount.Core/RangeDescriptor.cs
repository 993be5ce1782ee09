using System.Text;

namespace OrleansMount.Core;

/// <summary>
/// One record of a metarange: which range holds the paths from <see cref="FirstPath"/> to
/// <see cref="LastPath"/> (inclusive). Value format version 1, frozen by a golden test:
/// u8 version, 16 B range id, varint entry count, varint total object bytes, varint SST file size,
/// varint last-path length + UTF-8 bytes. The key is 0x02 + metarange id + first path.
/// </summary>
public sealed record RangeDescriptor(RangeId Id, string FirstPath, string LastPath, long EntryCount, long TotalBytes, long FileSize)
{
    public const byte Version = 1;

    public byte[] EncodeValue()
    {
        var last = Encoding.UTF8.GetBytes(LastPath);
        var buffer = new byte[1 + Hash128.Length + (4 * 10) + last.Length];
        var span = buffer.AsSpan();
        var p = 0;
        span[p++] = Version;
        Id.Hash.WriteTo(span[p..]);
        p += Hash128.Length;
        p += VarInt.Write(span[p..], (ulong)EntryCount);
        p += VarInt.Write(span[p..], (ulong)TotalBytes);
        p += VarInt.Write(span[p..], (ulong)FileSize);
        p += VarInt.Write(span[p..], (ulong)last.Length);
        last.CopyTo(span[p..]);
        return buffer[..(p + last.Length)];
    }

    public static RangeDescriptor Decode(string firstPath, ReadOnlySpan<byte> value)
    {
        var p = 0;
        if (value.Length == 0 || value[p++] != Version)
        {
            throw new FormatException("unknown metarange record version");
        }

        var id = new RangeId(Hash128.Read(value[p..]));
        p += Hash128.Length;
        var count = (long)VarInt.Read(value, ref p);
        var total = (long)VarInt.Read(value, ref p);
        var fileSize = (long)VarInt.Read(value, ref p);
        var lastLength = (int)VarInt.Read(value, ref p);
        var last = Encoding.UTF8.GetString(value.Slice(p, lastLength));
        return new RangeDescriptor(id, firstPath, last, count, total, fileSize);
    }
}
