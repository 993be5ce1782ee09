using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansMount.Core.Placement;
using OrleansMount.Grains;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Cluster;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// An in-process Orleans cluster (TestingHost) of <see cref="GrainTestSilo"/> silos over one temp directory, and what
/// the grain tests need of it: each silo's services, test objects on the shared object store, and the placement the
/// silos should agree on, computed here from the silo names and <see cref="Capacities"/> alone.
/// </summary>
public sealed class GrainTestCluster : IAsyncDisposable
{
    /// <summary>The silos' capacities, 1:2:1, in TestingHost's naming order (the third joins in the re-homing test).</summary>
    public static readonly IReadOnlyDictionary<string, long> Capacities = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["Primary"] = 64L << 20,
        ["Secondary_1"] = 128L << 20,
        ["Secondary_2"] = 64L << 20,
    };

    private readonly TempDirectory _temp;
    private readonly FileObjectStore _objects = new(StoreUri.File("/"));

    private GrainTestCluster(TempDirectory temp, TestCluster cluster)
    {
        _temp = temp;
        Cluster = cluster;
    }

    public TestCluster Cluster { get; }

    /// <summary>The running silos, oldest first.</summary>
    public IReadOnlyList<SiloHandle> Silos => Cluster.GetActiveSilos().ToList();

    public static async Task<GrainTestCluster> StartAsync(short silos)
    {
        var temp = new TempDirectory("om-grains-");
        try
        {
            var builder = new TestClusterBuilder(silos);
            // The tests call grains through the silos' own grain factories: no client, no gateway; no log files.
            builder.Options.InitializeClientOnDeploy = false;
            builder.Options.ConfigureFileLogging = false;
            builder.Properties[GrainTestSilo.RootKey] = temp.Path;
            foreach (var (name, capacity) in Capacities)
            {
                builder.Properties[GrainTestSilo.CapacityKey(name)] = capacity.ToString(CultureInfo.InvariantCulture);
            }

            builder.AddSiloBuilderConfigurator<GrainTestSilo>();
            var cluster = builder.Build();
            await cluster.DeployAsync();
            return new GrainTestCluster(temp, cluster);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    public Task<SiloHandle> StartAdditionalSiloAsync() => Cluster.StartAdditionalSiloAsync();

    public static T Get<T>(SiloHandle silo)
        where T : notnull => ((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredService<T>();

    public static IGrainFactory GrainsOf(SiloHandle silo) => Get<IGrainFactory>(silo);

    public static CountingObjectStore StoreOf(SiloHandle silo) => Get<CountingObjectStore>(silo);

    /// <summary>The placement every silo should compute: weighted rendezvous over the running silos' names and capacities.</summary>
    public PlacementView ExpectedPlacement() => new(Silos.Select(s => new PlacementMember(s.Name, Capacities[s.Name])));

    /// <summary>
    /// Waits until every silo's <see cref="ClusterView"/> places over exactly the running silos (their metadata
    /// arrives after their membership entry, and the view polls for it every second) and every silo has every other's
    /// grain manifest: until then Orleans does not count that silo as compatible, and the placement director falls
    /// back to the calling silo (the likely cause of one failure of the join test, under load, in its first second: message not kept).
    /// </summary>
    public async Task WaitForViewsAsync(TimeSpan timeout)
    {
        var expected = Silos.Select(s => s.Name).Order(StringComparer.Ordinal).ToArray();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var views = Silos.Select(s => (s.Name, Members: Get<ClusterView>(s).Placement.Members.Select(m => m.SiloId).Order(StringComparer.Ordinal).ToArray())).ToList();
            var manifests = Silos.Select(s => Get<Orleans.Runtime.IClusterManifestProvider>(s).Current.Silos.Count).ToArray();
            if (views.All(v => v.Members.SequenceEqual(expected)) && manifests.All(n => n == expected.Length))
            {
                return;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"after {timeout.TotalSeconds} s the silos' views are {string.Join("; ", views.Select(v => $"{v.Name}: [{string.Join(", ", v.Members)}]"))}, not [{string.Join(", ", expected)}]; silos in each one's manifest: {string.Join(", ", manifests)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Writes a test object of <paramref name="chunks"/> chunks on the shared store; returns its key and one request per chunk.</summary>
    public async Task<(string Key, ChunkRequest[] Chunks)> PutObjectAsync(string name, int chunks, int chunkSize)
    {
        var data = new byte[chunks * chunkSize];
        Random.Shared.NextBytes(data);
        var key = Path.Combine(_temp.Sub("objects"), name).TrimStart('/');
        await _objects.PutAsync(key, data);
        var info = await _objects.HeadAsync(key) ?? throw new InvalidOperationException($"{key} vanished after it was written");
        var address = _objects.Root.AddressOf(key);
        return (key, Enumerable.Range(0, chunks).Select(i => new ChunkRequest(address, info.ETag, info.Size, i, chunkSize, "test", "test-id")).ToArray());
    }

    /// <summary>EnsureAsync for every request at once, the calls spread over the silos' grain factories in turn.</summary>
    public async Task<ChunkAnswer[]> EnsureAllAsync(IReadOnlyList<ChunkRequest> requests)
    {
        var silos = Silos;
        return await Task.WhenAll(requests.Select((r, i) => GrainsOf(silos[i % silos.Count]).GetGrain<IChunkGrain>(GrainKeys.Chunk(r.Id)).EnsureAsync(r)));
    }

    public static bool Holds(SiloHandle silo, ChunkRequest request) => Get<NodeResources>(silo).Chunks.Contains(request.Id);

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _objects.Dispose();
        _temp.Dispose();
    }
}
