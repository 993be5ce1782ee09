using System.IO.Hashing;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// The CRC32C (Castagnoli, as in iSCSI/ext4: initial and final XOR with all ones) that chunk files, transfers
/// and range files carry: System.IO.Hashing's <see cref="Crc32ParameterSet.Crc32C"/>, which folds with the
/// CPU's carry-less multiply on long inputs and uses the CRC32 instruction on short ones and tails. It replaced
/// the project's own three-lane code, being 1.6–5× faster on 4 and 64 KiB and at least as fast on whole 4 MiB
/// chunks here (docs/decisions/0014-crc32c.md).
/// <para>
/// A chunk's whole checksum is also derived from its blocks' (<see cref="ComputeBlocks"/>, <see cref="Combine(ReadOnlySpan{uint}, int, int)"/>)
/// without a second pass over its bytes: a CRC is linear over GF(2), so the CRC of <c>A + B</c> is the CRC of
/// <c>A</c> multiplied by <c>x^(8·|B|)</c> modulo the polynomial, XORed with the CRC of <c>B</c>. System.IO.Hashing
/// has no such operation; docs/decisions/0036-chunk-checksums-from-block-checksums.md says why it is written here.
/// </para>
/// </summary>
public static class ChunkChecksum
{
    private static readonly Crc32ParameterSet Parameters = Crc32ParameterSet.Crc32C;

    /// <summary>The CRC32C polynomial, bit-reversed (bit 31 is x^0, as the reflected CRC keeps its register).</summary>
    private const uint ReflectedPolynomial = 0x82F63B78;

    /// <summary>x^0 in the reflected representation.</summary>
    private const uint One = 1u << 31;

    /// <summary><c>x^(2^k) mod P</c> for k = 0..66 (x^1, x^2, x^4, ...): enough for 8 times any length a long holds.</summary>
    private static readonly uint[] PowersOfTwo = BuildPowersOfTwo();

    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Parameters, data);

    /// <summary>
    /// The checksum of <paramref name="first"/> followed by <paramref name="second"/>, without copying them
    /// together: <c>Compute(a, b) == Compute(a + b)</c>.
    /// </summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        // Once optimised, the JIT keeps this instance on the stack (0 bytes allocated per call, measured).
        var crc = new Crc32(Parameters);
        crc.Append(first);
        crc.Append(second);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>
    /// The checksum of bytes whose first part has checksum <paramref name="first"/> and whose second part, of
    /// <paramref name="secondLength"/> bytes, has <paramref name="second"/>: <c>Combine(Compute(a), Compute(b), b.Length) == Compute(a + b)</c>.
    /// </summary>
    public static uint Combine(uint first, uint second, long secondLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(secondLength);
        return Multiply(Shift(secondLength), first) ^ second;
    }

    /// <summary>
    /// The checksum of <paramref name="length"/> bytes from the checksums of their consecutive blocks of
    /// <paramref name="blockSize"/> bytes (the last one shorter), as <see cref="ComputeBlocks"/> takes them.
    /// </summary>
    public static uint Combine(ReadOnlySpan<uint> blockCrcs, int blockSize, int length)
    {
        var blocks = BlockCount(length, blockSize, blockCrcs.Length);
        if (blocks == 0)
        {
            return 0; // the CRC32C of no bytes
        }

        var whole = blockCrcs[0];
        var full = Shift(blockSize);
        for (var block = 1; block < blocks - 1; block++)
        {
            whole = Multiply(full, whole) ^ blockCrcs[block];
        }

        if (blocks > 1)
        {
            var last = length - ((blocks - 1) * blockSize);
            whole = Multiply(last == blockSize ? full : Shift(last), whole) ^ blockCrcs[blocks - 1];
        }

        return whole;
    }

    /// <summary>
    /// The checksum of each block of <paramref name="blockSize"/> bytes of <paramref name="data"/> (the last one
    /// shorter) into <paramref name="blockCrcs"/>, and the whole data's, in one pass over the bytes.
    /// </summary>
    public static uint ComputeBlocks(ReadOnlySpan<byte> data, int blockSize, Span<uint> blockCrcs)
    {
        var blocks = BlockCount(data.Length, blockSize, blockCrcs.Length);
        for (var block = 0; block < blocks; block++)
        {
            var start = block * blockSize;
            blockCrcs[block] = Compute(data.Slice(start, Math.Min(blockSize, data.Length - start)));
        }

        return Combine(blockCrcs, blockSize, data.Length);
    }

    /// <summary>The blocks of <paramref name="blockSize"/> in <paramref name="length"/> bytes, which must be <paramref name="given"/>.</summary>
    private static int BlockCount(int length, int blockSize, int given)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var blocks = ChunkFileFormat.BlockCount(length, blockSize);
        if (given != blocks)
        {
            throw new ArgumentException($"{length} bytes are {blocks} blocks of {blockSize}, not {given}", "blockCrcs");
        }

        return blocks;
    }

    /// <summary><c>x^(8·length) mod P</c>: what appending <paramref name="length"/> bytes multiplies a checksum by (about a microsecond).</summary>
    private static uint Shift(long length)
    {
        // x^(8·n) is the product of x^(2^k) over the set bits k of 8·n, i.e. the bits of n from k = 3 up.
        var shift = One;
        var bits = (ulong)length;
        for (var k = 3; bits != 0; bits >>= 1, k++)
        {
            if ((bits & 1) != 0)
            {
                shift = Multiply(PowersOfTwo[k], shift);
            }
        }

        return shift;
    }

    /// <summary><c>a(x)·b(x) mod P</c> in the reflected representation.</summary>
    private static uint Multiply(uint a, uint b)
    {
        var product = 0u;
        for (var bit = One; a != 0; bit >>= 1)
        {
            if ((a & bit) != 0)
            {
                product ^= b;
                a ^= bit;
            }

            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPolynomial : b >> 1;
        }

        return product;
    }

    private static uint[] BuildPowersOfTwo()
    {
        var table = new uint[67];
        table[0] = One >> 1; // x^1
        for (var k = 1; k < table.Length; k++)
        {
            table[k] = Multiply(table[k - 1], table[k - 1]);
        }

        return table;
    }
}
