using System.Globalization;
using System.IO.Hashing;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using OrleansMount.Benchmarks.ChecksumBench;
using OrleansMount.Storage.Chunks;

// Usage: checksumbench OUTPUT.md [BenchmarkDotNet args]. Checks that the implementations agree, runs
// ChecksumBenchmarks and TwoPartBenchmarks, then the interleaved best-of cross-check, and writes the markdown
// body of docs/benchmarks.md's checksum section to OUTPUT.md. checksumbench --interleaved: only the cross-check.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: checksumbench OUTPUT.md [BenchmarkDotNet arguments] | checksumbench --interleaved");
    return 2;
}

// A benchmark of a wrong answer is worthless: the three must agree before anything is timed.
var check = new byte[(4 << 20) + 64];
new Random(1).NextBytes(check);
foreach (var length in new[] { 0, 1, 7, 8, 9, 40, 255, 4096, 24575, 24576, 24577, 65536, 100_003, 1 << 20, 4 << 20 })
{
    foreach (var offset in new[] { 0, 3 })
    {
        var span = check.AsSpan(offset, length);
        var own = ThreeLaneCrc32C.Compute(span);
        var library = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, span);
        if (own != library || ChunkChecksum.Compute(span) != own)
        {
            Console.Error.WriteLine($"implementations disagree at length {length}, offset {offset}: own {own:x8}, library {library:x8}");
            return 1;
        }
    }
}

if (args[0] == "--interleaved")
{
    Console.WriteLine(Interleaved.Run());
    return 0;
}

// In process (no generated project to build), short run: 3 warm-ups, 3 measured iterations.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "checksumbench-artifacts"));
var single = BenchmarkRunner.Run<ChecksumBenchmarks>(config, args[1..]);
var twoPart = BenchmarkRunner.Run<TwoPartBenchmarks>(config, args[1..]);

var medians = new Dictionary<string, (double Ns, long? Allocated)>();
foreach (var report in single.Reports.Concat(twoPart.Reports))
{
    if (report.ResultStatistics is null)
    {
        Console.Error.WriteLine($"no result for {report.BenchmarkCase.DisplayInfo}");
        return 1;
    }

    var key = report.BenchmarkCase.Descriptor.Type.Name + "." + report.BenchmarkCase.Descriptor.WorkloadMethod.Name + "/"
        + string.Join("/", report.BenchmarkCase.Parameters.Items.Select(p => p.Value.ToString()));
    medians[key] = (report.ResultStatistics.Median, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase));
}

var c = CultureInfo.InvariantCulture;
string Size(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";
(double Ns, long? Allocated) Result(string type, string method, params object[] parameters) =>
    medians[type + "." + method + "/" + string.Join("/", parameters.Select(p => Convert.ToString(p, c)))];
string GigabytesPerSecond(int bytes, double ns) => (bytes / ns).ToString("N2", c);
string Ns(double ns) => ns < 100 ? ns.ToString("N1", c) : ns.ToString("N0", c);
string Allocated(long? bytes) => bytes is null ? "?" : bytes.Value.ToString("N0", c) + " B";

var text = new StringBuilder();
text.AppendLine("| size | start | own three-lane, GB/s | System.IO.Hashing, GB/s | ChunkChecksum, GB/s | library ÷ own | allocated (own / library) |");
text.AppendLine("|---:|---|---:|---:|---:|---:|---|");
foreach (var size in new[] { 4 << 10, 64 << 10, 1 << 20, 4 << 20 })
{
    foreach (var offset in new[] { 0, 3 })
    {
        var own = Result(nameof(ChecksumBenchmarks), "Own", size, offset);
        var library = Result(nameof(ChecksumBenchmarks), "Library", size, offset);
        var project = Result(nameof(ChecksumBenchmarks), "Project", size, offset);
        text.AppendLine(c, $"| {Size(size)} | {(offset == 0 ? "aligned" : $"+{offset}")} | {GigabytesPerSecond(size, own.Ns)} | {GigabytesPerSecond(size, library.Ns)} | {GigabytesPerSecond(size, project.Ns)} | {(own.Ns / library.Ns).ToString("N2", c)} | {Allocated(own.Allocated)} / {Allocated(library.Allocated)} |");
    }
}

text.AppendLine();
text.AppendLine("| header check: 40 bytes + block table of | own `Append(Compute(a), b)`, ns | library instance, ns | library ÷ own | allocated (own / library) |");
text.AppendLine("|---:|---:|---:|---:|---|");
foreach (var table in new[] { 256, 4096 })
{
    var own = Result(nameof(TwoPartBenchmarks), "Own", table);
    var library = Result(nameof(TwoPartBenchmarks), "Library", table);
    text.AppendLine(c, $"| {table:N0} bytes | {Ns(own.Ns)} | {Ns(library.Ns)} | {(own.Ns / library.Ns).ToString("N2", c)} | {Allocated(own.Allocated)} / {Allocated(library.Allocated)} |");
}

text.AppendLine();
text.AppendLine("Cross-check, interleaved best of 60 rounds of 16 MiB (own and library alternate; the fastest round of each):");
text.AppendLine();
text.Append(Interleaved.Run());

File.WriteAllText(args[0], text.ToString());
Console.WriteLine(text);
return 0;
