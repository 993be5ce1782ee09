using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansMount.Grains;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Runtime;
using OrleansMount.Grains.Snapshots;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// One silo of <see cref="GrainTestCluster"/>: the product's cluster view and placement
/// (<see cref="ClusterViewSiloBuilderExtensions.AddClusterView"/>, silo id = the TestingHost silo name, capacity from
/// the test's configuration), the distributed grain directory as <c>OrleansSilo</c> configures it, and
/// <see cref="NodeResources"/> of its own: a chunk store in its own directory, the object store and the catalog on the
/// shared test directory behind <see cref="CountingObjectStore"/>s, snapshot grains on <see cref="SnapshotClock"/>, and
/// a <see cref="ChunkCallProbe"/> on incoming calls.
/// </summary>
public sealed class GrainTestSilo : ISiloConfigurator
{
    /// <summary>The configuration key of the test's temp directory (chunk stores and test objects live under it).</summary>
    public const string RootKey = "OrleansMountTest:Root";

    /// <summary>The clock of every test silo's snapshot grains (<see cref="SnapshotGrainOptions.Time"/>): moved by the tests only.</summary>
    public static FakeTimeProvider SnapshotClock { get; } = new();

    /// <summary>The configuration key of a silo's capacity in bytes (its placement weight and chunk store size).</summary>
    public static string CapacityKey(string siloName) => $"OrleansMountTest:Capacity:{siloName}";

    public void Configure(ISiloBuilder siloBuilder)
    {
        ArgumentNullException.ThrowIfNull(siloBuilder);
        var configuration = siloBuilder.Configuration;
        var name = configuration["Orleans:Name"] ?? throw new InvalidOperationException("TestingHost gave the silo no name (Orleans:Name)");
        var root = configuration[RootKey] ?? throw new InvalidOperationException($"{RootKey} is not set: build the cluster with GrainTestCluster");
        var capacityText = configuration[CapacityKey(name)] ?? throw new InvalidOperationException($"{CapacityKey(name)} is not set: GrainTestCluster.Capacities has no silo {name}");
        var capacity = long.Parse(capacityText, CultureInfo.InvariantCulture);

        // A distinct data address per silo; nothing connects to it in these tests.
        var dataAddress = new Uri($"http://{name.ToLowerInvariant().Replace('_', '-')}.test/");
        siloBuilder.AddClusterView(new ClusterViewSelf(name, dataAddress, capacity, DateTimeOffset.UtcNow, "test"));
#pragma warning disable ORLEANSEXP003 // as OrleansSilo.Configure: survivors keep their activations when a silo joins or leaves
        siloBuilder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        siloBuilder.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
        // A hung call fails the test within the class's time budget instead of after the 30 s default.
        siloBuilder.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));

        var directory = Path.Combine(root, "silos", name);
        var services = siloBuilder.Services;
        services.AddSingleton(_ => new CountingObjectStore(new FileObjectStore(StoreUri.File("/"))));
        services.AddSingleton(_ => new ChunkStore(new ChunkStoreOptions { Directory = Path.Combine(directory, "cache"), CapacityBytes = capacity }));
        // One catalog directory for the cluster, each silo reading it through a store of its own that counts its reads.
        var catalog = StoreUri.File(Directory.CreateDirectory(Path.Combine(root, "catalog")).FullName);
        services.AddSingleton(_ => new SnapshotCatalog(new CountingObjectStore(new FileObjectStore(catalog)), catalog, ownsStore: true));
        services.Configure<SnapshotGrainOptions>(o => o.Time = SnapshotClock);
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<CountingObjectStore>();
            return new NodeResources(
                sp.GetRequiredService<ChunkStore>(),
                new ObjectStoreProvider(_ => store),
                sp.GetRequiredService<SnapshotCatalog>(),
                Path.Combine(directory, "ranges"),
                new NodeCounters());
        });
        services.AddSingleton<ChunkCallProbe>();
        services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<ChunkCallProbe>());
    }
}
