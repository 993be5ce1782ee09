using System.Security.Cryptography;
using System.Text;

namespace OrleansMount.Core;

/// <summary>
/// The hash that names a content-addressed catalog file: SHA-256/128 over a label ("range v1",
/// "metarange v1") and each length-prefixed key and value in order. Frozen by a golden test.
/// </summary>
public static class ContentHash
{
    public static Hash128 Compute(string label, IEnumerable<(byte[] Key, byte[] Value)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(label));
        Span<byte> length = stackalloc byte[10];
        foreach (var (key, value) in pairs)
        {
            hash.AppendData(length[..VarInt.Write(length, (ulong)key.Length)]);
            hash.AppendData(key);
            hash.AppendData(length[..VarInt.Write(length, (ulong)value.Length)]);
            hash.AppendData(value);
        }

        return Hash128.Read(hash.GetHashAndReset());
    }
}
