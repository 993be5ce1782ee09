using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OrleansMount.Core;

/// <summary>A 128-bit content hash (first half of SHA-256): the value behind every content id.</summary>
public readonly record struct Hash128(UInt128 Value)
{
    public const int Length = 16;

    public static Hash128 Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Read(hash);
    }

    public static Hash128 Read(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt128BigEndian(bytes));

    public static Hash128 Parse(string hex, string what)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Length * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"'{hex}' is not a {what} ({Length * 2} hex digits)");
        }

        return Read(Convert.FromHexString(hex));
    }

    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Value);

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
