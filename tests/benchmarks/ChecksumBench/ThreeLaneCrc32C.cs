using System.Numerics;
using System.Runtime.InteropServices;

namespace OrleansMount.Benchmarks.ChecksumBench;

/// <summary>
/// The project's own CRC32C as it was until issue 19 (src/OrleansMount.Storage/Chunks/ChunkChecksum.cs at
/// commit 30220d8), kept here unchanged so the comparison in docs/decisions/0014-crc32c.md can be re-run.
/// Three independent chains of the CPU's CRC32 instruction over lanes of 8 KiB, joined by a table-driven
/// shift; <c>Append(Append(0, a), b) == Compute(a + b)</c>. Checked against the library in Program.cs before
/// anything is measured.
/// </summary>
public static class ThreeLaneCrc32C
{
    private const int Lane = 8192;
    private const int Block = 3 * Lane;
    private static readonly uint[] ShiftTable = BuildShiftTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        if (BitConverter.IsLittleEndian)
        {
            while (data.Length >= Block)
            {
                state = AppendBlock(state, MemoryMarshal.Cast<byte, ulong>(data[..Block]));
                data = data[Block..];
            }

            var words = MemoryMarshal.Cast<byte, ulong>(data);
            foreach (var word in words)
            {
                state = BitOperations.Crc32C(state, word);
            }

            data = data[(words.Length * sizeof(ulong))..];
        }

        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return ~state;
    }

    private static uint AppendBlock(uint state, ReadOnlySpan<ulong> block)
    {
        const int words = Lane / sizeof(ulong);
        var first = block[..words];
        var second = block.Slice(words, words);
        var third = block.Slice(2 * words, words);
        uint a = state, b = 0, c = 0;
        for (var i = 0; i < words; i++)
        {
            a = BitOperations.Crc32C(a, first[i]);
            b = BitOperations.Crc32C(b, second[i]);
            c = BitOperations.Crc32C(c, third[i]);
        }

        return ShiftOverLane(ShiftOverLane(a) ^ b) ^ c;
    }

    private static uint ShiftOverLane(uint v)
    {
        var table = ShiftTable;
        return table[v & 0xFF] ^ table[256 + ((v >> 8) & 0xFF)] ^ table[512 + ((v >> 16) & 0xFF)] ^ table[768 + (v >> 24)];
    }

    private static uint[] BuildShiftTable()
    {
        Span<uint> bit = stackalloc uint[32];
        for (var j = 0; j < 32; j++)
        {
            var v = 1u << j;
            for (var i = 0; i < Lane / sizeof(ulong); i++)
            {
                v = BitOperations.Crc32C(v, 0UL);
            }

            bit[j] = v;
        }

        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (var value = 0; value < 256; value++)
            {
                uint image = 0;
                for (var i = 0; i < 8; i++)
                {
                    if ((value & (1 << i)) != 0)
                    {
                        image ^= bit[(8 * k) + i];
                    }
                }

                table[(256 * k) + value] = image;
            }
        }

        return table;
    }
}
