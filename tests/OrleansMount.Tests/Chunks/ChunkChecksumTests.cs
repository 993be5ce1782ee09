using OrleansMount.Storage.Chunks;

namespace OrleansMount.Tests.Chunks;

/// <summary>
/// <see cref="ChunkChecksum"/> (System.IO.Hashing's CRC32C) against a bitwise reference (reflected polynomial
/// 0x82F63B78) at lengths around the library's switch points (its 8-byte scalar steps, its 16- to 64-byte
/// folding widths) and the sizes the project checksums, at misaligned offsets; the two-piece form split anywhere.
/// </summary>
[UnitTest]
public sealed class ChunkChecksumTests
{
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    public static TheoryData<int> Lengths() =>
    [
        0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513,
        4095, 4096, 4097, 65535, 65536, 65537, 100_003, (4 << 20) + 3,
    ];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Equals_the_bitwise_reference_at_every_length_and_offset(int length)
    {
        var data = new byte[length + 64];
        new Random(length).NextBytes(data);
        for (var offset = 0; offset < 64; offset += length > 200_000 ? 21 : 1)
        {
            var span = data.AsSpan(offset, length);
            Assert.Equal(Reference(span), ChunkChecksum.Compute(span));
        }
    }

    [Fact]
    public void Two_pieces_split_anywhere_equal_one_pass()
    {
        var data = new byte[70_000];
        new Random(7).NextBytes(data);
        var whole = ChunkChecksum.Compute(data);
        Assert.Equal(Reference(data), whole);
        var random = new Random(11);
        for (var i = 0; i < 40; i++)
        {
            var cut = i < 8 ? new[] { 0, 1, 40, 63, 64, 65, 4096, data.Length }[i] : random.Next(data.Length + 1);
            Assert.Equal(whole, ChunkChecksum.Compute(data.AsSpan(0, cut), data.AsSpan(cut)));
        }
    }

    [Fact]
    public void A_flipped_bit_anywhere_changes_the_checksum()
    {
        var data = new byte[3 * 65536];
        new Random(3).NextBytes(data);
        var crc = ChunkChecksum.Compute(data);
        foreach (var position in new[] { 0, 15, 16, 63, 64, 4095, 65535, 65536, data.Length - 9, data.Length - 1 })
        {
            data[position] ^= 0x10;
            Assert.NotEqual(crc, ChunkChecksum.Compute(data));
            data[position] ^= 0x10;
        }

        Assert.Equal(crc, ChunkChecksum.Compute(data));
    }
}
