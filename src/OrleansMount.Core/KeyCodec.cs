using System.Text;

namespace OrleansMount.Core;

/// <summary>
/// Keys of the node metadata DB and of the catalog's SST files (format version 1). Every key
/// starts with a kind byte and the 16-byte id of the file it belongs to, so one DB can hold the
/// ranges of every snapshot without collisions and an ingested range never shadows another:
/// <code>
/// 0x01 RangeId     path-bytes   → EntryCodec value         (range SSTs)
/// 0x02 MetarangeId first-path   → RangeDescriptor value    (metarange SSTs)
/// 0x03 RangeId                  → ingest marker            (node DB only)
/// 0x04 MetarangeId              → ingest marker            (node DB only)
/// </code>
/// </summary>
public static class KeyCodec
{
    public const byte RangeEntryKind = 0x01;
    public const byte MetarangeRecordKind = 0x02;
    public const byte RangeMarkerKind = 0x03;
    public const byte MetarangeMarkerKind = 0x04;
    public const int HeaderLength = 1 + Hash128.Length;

    public static byte[] Key(byte kind, Hash128 id, ReadOnlySpan<byte> suffix)
    {
        var key = new byte[HeaderLength + suffix.Length];
        key[0] = kind;
        id.WriteTo(key.AsSpan(1));
        suffix.CopyTo(key.AsSpan(HeaderLength));
        return key;
    }

    public static byte[] Key(byte kind, Hash128 id, string suffix) => Key(kind, id, Encoding.UTF8.GetBytes(suffix));

    public static byte[] RangeEntry(RangeId range, string path) => Key(RangeEntryKind, range.Hash, path);

    public static string SuffixString(ReadOnlySpan<byte> key) => Encoding.UTF8.GetString(key[HeaderLength..]);

    /// <summary>The smallest key after every key that starts with <paramref name="prefix"/>, or null if none exists.</summary>
    public static byte[]? PrefixSuccessor(ReadOnlySpan<byte> prefix)
    {
        var result = prefix.ToArray();
        for (var i = result.Length - 1; i >= 0; i--)
        {
            if (result[i] != 0xFF)
            {
                result[i]++;
                return result[..(i + 1)];
            }
        }

        return null;
    }
}
