using System.IO.Hashing;
using BenchmarkDotNet.Attributes;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Benchmarks.ChecksumBench;

/// <summary>
/// One CRC32C over a buffer of each size that matters (4 KiB, a 64 KiB block, 1 MiB, a 4 MiB chunk), from a
/// 64-byte-aligned start and from 3 bytes past it. <see cref="ChunkChecksum"/> is what the project calls; it
/// is measured beside the implementation it wraps, which also shows the noise of the run. Not sealed:
/// BenchmarkDotNet derives from benchmark classes.
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private ArraySegment<byte> _data;

    [Params(4 << 10, 64 << 10, 1 << 20, 4 << 20)]
    public int Size { get; set; }

    [Params(0, 3)]
    public int Offset { get; set; }

    [GlobalSetup]
    public void Setup() => _data = TestData.Create(Size, Offset, Size + Offset);

    [Benchmark(Baseline = true)]
    public uint Own() => ThreeLaneCrc32C.Compute(_data);

    [Benchmark]
    public uint Library() => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, _data);

    [Benchmark]
    public uint Project() => ChunkChecksum.Compute(_data);
}
