using System.Numerics;
using System.Runtime.InteropServices;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// CRC32C (Castagnoli, as in iSCSI/ext4: initial and final XOR with all ones) on the CPU's CRC32
/// instruction, eight bytes per step. <c>Append(Append(0, a), b) == Compute(a + b)</c>.
/// </summary>
public static class ChunkChecksum
{
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        var tail = data;
        if (BitConverter.IsLittleEndian)
        {
            // The instruction consumes a 64-bit word's bytes lowest first: only valid as-is on
            // little-endian machines.
            var words = MemoryMarshal.Cast<byte, ulong>(data);
            foreach (var word in words)
            {
                state = BitOperations.Crc32C(state, word);
            }

            tail = data[(words.Length * sizeof(ulong))..];
        }

        foreach (var b in tail)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return ~state;
    }
}
