using System.IO.Hashing;
using BenchmarkDotNet.Attributes;

namespace OrleansMount.Benchmarks.ChecksumBench;

/// <summary>
/// The one checksum the project takes over two pieces: a chunk file's header check, CRC32C of the first
/// 40 header bytes followed by the block table (256 bytes for a 4 MiB chunk in 64 KiB blocks, 4 KiB in 4 KiB
/// blocks). The own code continues from a finished CRC (<c>Append(Compute(a), b)</c>); the library has no
/// such static call and takes an instance (<c>new Crc32(Crc32C)</c>, two <c>Append</c>, one read).
/// </summary>
[MemoryDiagnoser]
public class TwoPartBenchmarks
{
    private const int FixedHeaderLength = 44;
    private ArraySegment<byte> _header;

    [Params(256, 4096)]
    public int TableBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _header = TestData.Create(FixedHeaderLength + TableBytes, 0, TableBytes);

    [Benchmark(Baseline = true)]
    public uint Own() => ThreeLaneCrc32C.Append(ThreeLaneCrc32C.Compute(_header.AsSpan(0, 40)), _header.AsSpan(FixedHeaderLength));

    [Benchmark]
    public uint Library()
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(_header.AsSpan(0, 40));
        crc.Append(_header.AsSpan(FixedHeaderLength));
        return crc.GetCurrentHashAsUInt32();
    }
}
