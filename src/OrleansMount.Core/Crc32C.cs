using System.Numerics;
using System.Runtime.InteropServices;

namespace OrleansMount.Core;

/// <summary>CRC32C (Castagnoli) on the hardware instruction, eight bytes a step.</summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>Continues a raw (non-inverted) CRC state; start with uint.MaxValue and invert the result.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
        {
            state = BitOperations.Crc32C(state, word);
        }

        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            state = BitOperations.Crc32C(state, b);
        }

        return state;
    }
}
