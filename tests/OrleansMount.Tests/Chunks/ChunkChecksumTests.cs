using OrleansMount.Storage.Chunks;

namespace OrleansMount.Tests.Chunks;

/// <summary>
/// The three-lane CRC32C against a bitwise reference (reflected polynomial 0x82F63B78) at every length that
/// crosses a word, lane or block boundary, at misaligned offsets, and split anywhere for <c>Append</c>.
/// </summary>
[UnitTest]
public sealed class ChunkChecksumTests
{
    private const int Block = 3 * 8192;

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
        0, 1, 7, 8, 9, 8191, 8192, 8193, Block - 1, Block, Block + 1, Block + 8, (2 * Block) + 13, 100_000, (4 << 20) + 3,
    ];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Equals_the_bitwise_reference_at_every_length_and_offset(int length)
    {
        var data = new byte[length + 8];
        new Random(length).NextBytes(data);
        for (var offset = 0; offset < 8; offset += length > 200_000 ? 7 : 1)
        {
            var span = data.AsSpan(offset, length);
            Assert.Equal(Reference(span), ChunkChecksum.Compute(span));
        }
    }

    [Fact]
    public void Append_anywhere_equals_one_pass()
    {
        var data = new byte[(3 * Block) + 777];
        new Random(7).NextBytes(data);
        var whole = ChunkChecksum.Compute(data);
        var random = new Random(11);
        for (var i = 0; i < 40; i++)
        {
            var cut = i < 5 ? new[] { 0, 1, Block, Block + 1, data.Length }[i] : random.Next(data.Length + 1);
            Assert.Equal(whole, ChunkChecksum.Append(ChunkChecksum.Compute(data.AsSpan(0, cut)), data.AsSpan(cut)));
        }
    }

    [Fact]
    public void A_flipped_bit_anywhere_changes_the_checksum()
    {
        var data = new byte[2 * Block];
        new Random(3).NextBytes(data);
        var crc = ChunkChecksum.Compute(data);
        foreach (var position in new[] { 0, 8191, 8192, 16384, Block - 1, Block, data.Length - 1 })
        {
            data[position] ^= 0x10;
            Assert.NotEqual(crc, ChunkChecksum.Compute(data));
            data[position] ^= 0x10;
        }

        Assert.Equal(crc, ChunkChecksum.Compute(data));
    }
}
