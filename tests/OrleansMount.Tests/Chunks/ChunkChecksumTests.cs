using OrleansMount.Storage.Chunks;

namespace OrleansMount.Tests.Chunks;

/// <summary>
/// <see cref="ChunkChecksum"/> (System.IO.Hashing's CRC32C) against a bitwise reference (reflected polynomial
/// 0x82F63B78) at lengths around the library's switch points (its 8-byte scalar steps, its 16- to 64-byte
/// folding widths) and the sizes the project checksums, at misaligned offsets; the two-piece form split anywhere;
/// the whole checksum derived from pieces' and from blocks' (<see cref="ChunkChecksum.Combine(uint, uint, long)"/>,
/// <see cref="ChunkChecksum.ComputeBlocks"/>) against one pass over the bytes.
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

    [Fact]
    public void Combining_two_pieces_checksums_split_anywhere_equals_one_pass()
    {
        var data = new byte[70_000];
        new Random(13).NextBytes(data);
        var whole = ChunkChecksum.Compute(data);
        var random = new Random(17);
        for (var i = 0; i < 40; i++)
        {
            var cut = i < 8 ? new[] { 0, 1, 40, 63, 64, 65, 16_384, data.Length }[i] : random.Next(data.Length + 1);
            var combined = ChunkChecksum.Combine(ChunkChecksum.Compute(data.AsSpan(0, cut)), ChunkChecksum.Compute(data.AsSpan(cut)), data.Length - cut);
            Assert.Equal(whole, combined);
        }

        // A second part longer than any chunk, of zeros (their checksum by the bitwise reference): the shift's higher powers.
        var zeros = new byte[(1 << 29) + 5];
        Assert.Equal(
            ChunkChecksum.Compute([.. data.AsSpan(0, 100), .. zeros]),
            ChunkChecksum.Combine(ChunkChecksum.Compute(data.AsSpan(0, 100)), ChunkChecksum.Compute(zeros), zeros.Length));
    }

    public static TheoryData<int, int> BlockLayouts() => new()
    {
        { 0, 16_384 }, { 1, 16_384 }, { 16_383, 16_384 }, { 16_384, 16_384 }, { 16_385, 16_384 }, { (2 * 16_384) + 1000, 16_384 },
        { 4 << 20, 16_384 }, { (4 << 20) - 1, 16_384 }, { 1000, 7 }, { 4096, 4096 }, { 9999, 4096 },
    };

    [Theory]
    [MemberData(nameof(BlockLayouts))]
    public void Block_checksums_and_the_whole_derived_from_them_equal_one_pass_each(int length, int blockSize)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var blocks = new uint[(length + blockSize - 1) / blockSize];
        var whole = ChunkChecksum.ComputeBlocks(data, blockSize, blocks);
        Assert.Equal(Reference(data), whole);
        for (var block = 0; block < blocks.Length; block++)
        {
            var start = block * blockSize;
            Assert.Equal(ChunkChecksum.Compute(data.AsSpan(start, Math.Min(blockSize, length - start))), blocks[block]);
        }

        Assert.Equal(whole, ChunkChecksum.Combine(blocks, blockSize, length));
        if (blocks.Length > 0)
        {
            blocks[^1] ^= 1; // a block's checksum that is not its bytes' changes the whole
            Assert.NotEqual(whole, ChunkChecksum.Combine(blocks, blockSize, length));
        }

        Assert.Throws<ArgumentException>(() => ChunkChecksum.ComputeBlocks(data, blockSize, new uint[blocks.Length + 1]));
        Assert.Throws<ArgumentException>(() => ChunkChecksum.Combine(new uint[blocks.Length + 1], blockSize, length));
    }
}
