using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace OrleansMount.Core.Security;

/// <summary>The 16 random bytes of a signature (32 lowercase hex digits on the wire), as two integers so a cache entry stays small.</summary>
public readonly record struct Nonce(ulong High, ulong Low)
{
    public const int Bytes = 16;

    /// <summary>A fresh nonce from the system's cryptographic random generator.</summary>
    public static Nonce NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Bytes];
        RandomNumberGenerator.Fill(bytes);
        return new Nonce(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    /// <summary>Parses exactly 32 hex digits.</summary>
    public static bool TryParse(string text, out Nonce nonce)
    {
        ArgumentNullException.ThrowIfNull(text);
        nonce = default;
        if (text.Length != Bytes * 2
            || !ulong.TryParse(text.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !ulong.TryParse(text.AsSpan(16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        nonce = new Nonce(high, low);
        return true;
    }

    /// <summary>32 lowercase hex digits.</summary>
    public override string ToString() => High.ToString("x16", CultureInfo.InvariantCulture) + Low.ToString("x16", CultureInfo.InvariantCulture);
}
