using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using OrleansMount.Benchmarks.PlacementBench;

// Usage: placementbench OUTPUT.md [BenchmarkDotNet args]. Runs PlacementBenchmarks and writes the
// markdown body of docs/benchmarks.md's placement section to OUTPUT.md.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: placementbench OUTPUT.md [BenchmarkDotNet arguments]");
    return 2;
}

// In process (no generated project to build), short run: 3 warm-ups, 3 measured iterations.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "placementbench-artifacts"));
var summary = BenchmarkRunner.Run<PlacementBenchmarks>(config, args[1..]);
var results = new Dictionary<(string Method, int Silos), double>();
foreach (var report in summary.Reports)
{
    if (report.ResultStatistics is null)
    {
        Console.Error.WriteLine($"no result for {report.BenchmarkCase.DisplayInfo}");
        return 1;
    }

    var silos = (int)report.BenchmarkCase.Parameters["Silos"];
    results[(report.BenchmarkCase.Descriptor.WorkloadMethod.Name, silos)] = report.ResultStatistics.Median;
}

var c = CultureInfo.InvariantCulture;
string Ns(string method, int silos) => results[(method, silos)].ToString(results[(method, silos)] < 100 ? "N1" : "N0", c);
string PerSecond(string method, int silos) => (1e9 / results[(method, silos)] / 1e6).ToString(1e9 / results[(method, silos)] < 1e7 ? "N2" : "N0", c) + " M";
string Ms(string method, int silos) => (results[(method, silos)] / 1e6).ToString("N2", c);

var text = new StringBuilder();
text.AppendLine(c, $"| silos | plain rendezvous, ns/lookup | lookups/s | slot table, ns/lookup | lookups/s | build view | join one | leave one |");
text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var silos in new[] { 10, 100, 1000 })
{
    text.AppendLine(c, $"| {silos:N0} | {Ns("PlainOwnerOf", silos)} | {PerSecond("PlainOwnerOf", silos)} | {Ns("SlotTableOwnerOf", silos)} | {PerSecond("SlotTableOwnerOf", silos)} | {Ms("BuildView", silos)} ms | {Ms("JoinOne", silos)} ms | {Ms("LeaveOne", silos)} ms |");
}

File.WriteAllText(args[0], text.ToString());
Console.WriteLine(text);
return 0;
