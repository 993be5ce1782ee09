using BenchmarkDotNet.Attributes;
using OrleansMount.Core.Placement;

namespace OrleansMount.Benchmarks.PlacementBench;

/// <summary>
/// Owner lookups for uniform 64-bit keys, plain per-key rendezvous against the slot table, and the
/// cost of building or deriving a view. The job (short run, in process) is set in Program.cs.
/// Not sealed: BenchmarkDotNet derives from benchmark classes.
/// </summary>
public class PlacementBenchmarks
{
    public const int KeysPerInvoke = 4096;

    private ulong[] _keys = [];
    private PlacementMember[] _members = [];
    private RendezvousPlacement _plain = null!;
    private PlacementView _view = null!;
    private PlacementMember _newcomer = null!;

    [Params(10, 100, 1000)]
    public int Silos { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        // Capacities 1-4 TB in 0.5 TB steps: a few distinct weights, as in a real fleet.
        _members = Enumerable.Range(0, Silos)
            .Select(i => new PlacementMember($"silo-{i:D5}.cluster.local", 1.0 + (0.5 * random.Next(7))))
            .ToArray();
        _keys = Enumerable.Range(0, KeysPerInvoke).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63)).ToArray();
        _plain = new RendezvousPlacement(_members);
        _view = new PlacementView(_members);
        _newcomer = new PlacementMember("silo-new.cluster.local", 2.0);
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke)]
    public int PlainOwnerOf()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _plain.OwnerOf(key).Length;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke)]
    public int SlotTableOwnerOf()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _view.OwnerOf(key).Length;
        }

        return sum;
    }

    [Benchmark]
    public PlacementView BuildView() => new(_members);

    [Benchmark]
    public PlacementView JoinOne() => _view.With(_newcomer);

    [Benchmark]
    public PlacementView LeaveOne() => _view.Without(_members[0].SiloId);
}
