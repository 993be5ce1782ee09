using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace OrleansMount.Benchmarks.ChecksumBench;

/// <summary>
/// A cross-check that resists a loaded machine better than BenchmarkDotNet's medians: the two implementations
/// alternate, 60 rounds of 16 MiB each per size, and the best round of each counts (a disturbance only ever
/// slows a round down). <c>checksumbench --interleaved</c>.
/// </summary>
internal static class Interleaved
{
    public static string Run()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| size | start | own three-lane, GB/s | System.IO.Hashing, GB/s | library ÷ own |");
        text.AppendLine("|---:|---|---:|---:|---:|");
        uint sink = 0;
        foreach (var size in new[] { 4 << 10, 64 << 10, 1 << 20, 4 << 20 })
        {
            foreach (var offset in new[] { 0, 3 })
            {
                var data = TestData.Create(size, offset, size + offset);
                var repeats = Math.Max(1, (16 << 20) / size);
                double bestOwn = double.MaxValue, bestLibrary = double.MaxValue;
                for (var round = 0; round < 60; round++)
                {
                    var watch = Stopwatch.StartNew();
                    for (var i = 0; i < repeats; i++)
                    {
                        sink += ThreeLaneCrc32C.Compute(data);
                    }

                    bestOwn = Math.Min(bestOwn, watch.Elapsed.TotalNanoseconds / repeats);
                    watch.Restart();
                    for (var i = 0; i < repeats; i++)
                    {
                        sink += Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
                    }

                    bestLibrary = Math.Min(bestLibrary, watch.Elapsed.TotalNanoseconds / repeats);
                }

                var start = offset == 0 ? "aligned" : $"+{offset}";
                var label = size >= 1 << 20 ? $"{size >> 20} MiB" : $"{size >> 10} KiB";
                text.AppendLine(c, $"| {label} | {start} | {size / bestOwn:N2} | {size / bestLibrary:N2} | {bestOwn / bestLibrary:N2} |");
            }
        }

        // Keeps the loops' results alive.
        GC.KeepAlive(sink);
        return text.ToString();
    }
}
