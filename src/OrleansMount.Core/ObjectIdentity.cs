using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansMount.Core;

/// <summary>
/// The identity of an object's bytes: the first 128 bits of SHA-256 over (physical address, ETag,
/// size), each length-prefixed. Two entries with the same identity have the same bytes, so it is
/// the cache key of a file's chunks across snapshots. Frozen by a golden test: changing the
/// encoding orphans every cache and catalog.
/// </summary>
public readonly record struct ObjectIdentity
{
    public const int Length = 16;

    private readonly UInt128 _value;

    private ObjectIdentity(UInt128 value) => _value = value;

    public static ObjectIdentity Compute(string physicalAddress, string etag, long size)
    {
        ArgumentNullException.ThrowIfNull(physicalAddress);
        ArgumentNullException.ThrowIfNull(etag);
        var address = Encoding.UTF8.GetBytes(physicalAddress);
        var tag = Encoding.UTF8.GetBytes(etag);
        var input = new byte[1 + 4 + address.Length + 4 + tag.Length + 8];
        var span = input.AsSpan();
        span[0] = 1; // encoding version
        BinaryPrimitives.WriteInt32BigEndian(span[1..], address.Length);
        address.CopyTo(span[5..]);
        var at = 5 + address.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], tag.Length);
        tag.CopyTo(span[(at + 4)..]);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 4 + tag.Length)..], size);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return FromBytes(hash[..Length]);
    }

    public static ObjectIdentity FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
        {
            throw new ArgumentException($"an identity is {Length} bytes", nameof(bytes));
        }

        return new ObjectIdentity(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    public static ObjectIdentity Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Length * 2)
        {
            throw new FormatException($"an identity is {Length * 2} hex digits, got '{hex}'");
        }

        return FromBytes(Convert.FromHexString(hex));
    }

    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, _value);

    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>A 64-bit digest for hashing and placement (the identity is already uniform).</summary>
    public ulong Low64 => (ulong)_value;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
