using System.Diagnostics;
using Orleans.TestingHost;
using OrleansMount.Core.Placement;
using OrleansMount.Grains;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Snapshots;
using OrleansMount.Storage.Catalog;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// The chunk grain's placement, single fill and re-homing, and the snapshot grain's one catalog read for the cluster,
/// on in-process Orleans silos (TestingHost) wired as the
/// product wires them (<see cref="ClusterViewSiloBuilderExtensions.AddClusterView"/>). Expected owners come from a
/// <see cref="PlacementView"/> built here from the silos' names and capacities, not from the silos' own views.
/// </summary>
[IntegrationTest]
public sealed class GrainTests(GrainClusterFixture fixture, ITestOutputHelper output) : IClassFixture<GrainClusterFixture>
{
    private const int ChunkSize = 4096;

    [Fact]
    public async Task Chunk_grains_activate_on_the_weighted_rendezvous_owner_of_their_key()
    {
        var cluster = fixture.Cluster;
        var (_, chunks) = await cluster.PutObjectAsync("placement.bin", 200, ChunkSize);
        var expected = cluster.ExpectedPlacement();

        var answers = await cluster.EnsureAllAsync(chunks);

        var silos = cluster.Silos.ToDictionary(s => s.Name);
        var wrong = chunks.Zip(answers)
            .Select(p => (Chunk: p.First.Index, Owner: expected.OwnerOf(PlacementKey.Of(p.First.Id)), Answer: p.Second.SiloId))
            .Where(p => p.Owner != p.Answer)
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {chunks.Length} chunks answered from a silo that does not own them: {string.Join(", ", wrong.Take(10).Select(w => $"#{w.Chunk} owner {w.Owner} answered {w.Answer}"))}");
        Assert.All(chunks.Zip(answers), p => Assert.True(GrainTestCluster.Holds(silos[p.Second.SiloId], p.First), $"chunk {p.First.Index} is not in the chunk store of {p.Second.SiloId}, which answered for it"));

        var shares = answers.CountBy(a => a.SiloId).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        output.WriteLine($"chunks per silo (capacities 1:2:1): {string.Join(", ", shares.Select(s => $"{s.Key} {s.Value}"))}");
        Assert.Equal(3, shares.Count);
    }

    [Fact]
    public async Task Concurrent_ensures_of_one_chunk_from_every_silo_read_the_object_store_once()
    {
        const int Calls = 32;
        var silos = fixture.Cluster.Silos;
        var (key, request, grainKey, owner, _) = await OneChunkAsync("single.bin");
        var getsBefore = ObjectStoreGets(silos);

        // The fill's object-store read is held until all the calls are inside the grain, so they overlap one fill in flight.
        foreach (var silo in silos)
        {
            GrainTestCluster.StoreOf(silo).HoldReadsOf(key, GrainTestCluster.Get<ChunkCallProbe>(silo).Arrived(grainKey, Calls));
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, Calls).Select(i =>
            GrainTestCluster.GrainsOf(silos[i % silos.Count]).GetGrain<IChunkGrain>(grainKey).EnsureAsync(request)));

        output.WriteLine($"owner {owner}; answers: {string.Join(", ", answers.CountBy(a => (a.SiloId, a.Location.Tier)).Select(g => $"{g.Key.SiloId}/{g.Key.Tier} x{g.Value}"))}");
        Assert.All(answers, a => Assert.Equal(owner, a.SiloId));
        Assert.Single(answers.Select(a => (a.Location.Length, a.Location.Crc32C)).Distinct());
        Assert.Equal(1, silos.Sum(s => GrainTestCluster.StoreOf(s).ReadsOf(key)));
        Assert.Equal(1, ObjectStoreGets(silos) - getsBefore);
        Assert.All(silos, s => Assert.Equal(s.Name == owner ? Calls : 0, GrainTestCluster.Get<ChunkCallProbe>(s).ArrivalsAt(grainKey)));
    }

    [Fact]
    public async Task Locate_answers_filling_once_the_store_answered_and_every_caller_joins_that_one_fill()
    {
        var silos = fixture.Cluster.Silos;
        var (key, request, grainKey, owner, ownerSilo) = await OneChunkAsync("locate.bin");
        var other = silos.First(s => s.Name != owner);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var silo in silos)
        {
            GrainTestCluster.StoreOf(silo).HoldBytesOf(key, release.Task);
        }

        // The store answered, no byte arrived: the grain says where the fill runs, without waiting for it.
        var located = await GrainTestCluster.GrainsOf(other).GetGrain<IChunkGrain>(grainKey).LocateAsync(request).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(located.Filling);
        Assert.Equal(owner, located.SiloId);
        Assert.False(located.Location.Cached);
        var fill = GrainTestCluster.Get<NodeResources>(ownerSilo).Fills.Find(request.Id);
        Assert.NotNull(fill);
        Assert.Equal(0, fill.Available);
        var ensured = GrainTestCluster.GrainsOf(other).GetGrain<IChunkGrain>(grainKey).EnsureAsync(request);
        var locatedAgain = await GrainTestCluster.GrainsOf(ownerSilo).GetGrain<IChunkGrain>(grainKey).LocateAsync(request);
        Assert.True(locatedAgain.Filling);
        Assert.False(ensured.IsCompleted);

        await GrainTestCluster.Get<ChunkCallProbe>(ownerSilo).Arrived(grainKey, 1).WaitAsync(TimeSpan.FromSeconds(10)); // inside the grain

        release.SetResult();
        var answer = await ensured.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((owner, true), (answer.SiloId, answer.Location.Cached));
        Assert.Equal(answer.Location.Crc32C, await fill.Completed);
        Assert.True(await fill.Finished);
        Assert.Equal(1, silos.Sum(s => GrainTestCluster.StoreOf(s).ReadsOf(key)));
        Assert.Null(GrainTestCluster.Get<NodeResources>(ownerSilo).Fills.Find(request.Id));
        var stored = await GrainTestCluster.GrainsOf(other).GetGrain<IChunkGrain>(grainKey).LocateAsync(request);
        Assert.Equal((false, true, ChunkTier.Local), (stored.Filling, stored.Location.Cached, stored.Location.Tier));
    }

    [Fact]
    public async Task The_owners_own_fill_asks_no_grain_and_the_grain_calls_of_other_silos_join_it()
    {
        const int Calls = 8;
        var silos = fixture.Cluster.Silos;
        var (key, request, grainKey, owner, ownerSilo) = await OneChunkAsync("own-fill.bin");
        var node = GrainTestCluster.Get<NodeResources>(ownerSilo);
        var getsBefore = ObjectStoreGets(silos);
        var activationsBefore = GrainTestCluster.Get<ClusterView>(ownerSilo).ActivationsOf(nameof(ChunkGrain)).Total;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var silo in silos)
        {
            GrainTestCluster.StoreOf(silo).HoldBytesOf(key, release.Task);
        }

        // The owner's node reads its own chunk as SiloNode does (decision 0034): no grain activation.
        var own = ChunkFill.StartOrJoin(node, request, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Same(own, node.Fills.Find(request.Id));
        Assert.Same(own, ChunkFill.StartOrJoin(node, request, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Assert.Equal(activationsBefore, GrainTestCluster.Get<ClusterView>(ownerSilo).ActivationsOf(nameof(ChunkGrain)).Total);

        // Other silos' calls reach the grain on the owner, which joins that fill instead of starting one.
        var located = await GrainTestCluster.GrainsOf(silos.First(s => s.Name != owner)).GetGrain<IChunkGrain>(grainKey).LocateAsync(request).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((owner, true), (located.SiloId, located.Filling));
        var ensured = Enumerable.Range(0, Calls).Select(i => GrainTestCluster.GrainsOf(silos[i % silos.Count]).GetGrain<IChunkGrain>(grainKey).EnsureAsync(request)).ToArray();
        await GrainTestCluster.Get<ChunkCallProbe>(ownerSilo).Arrived(grainKey, Calls).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Same(own, node.Fills.Find(request.Id));

        release.SetResult();
        var location = await own.Fill.WaitAsync(TimeSpan.FromSeconds(10));
        var answers = await Task.WhenAll(ensured).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((true, ChunkTier.ObjectStore), (location.Cached, location.Tier));
        Assert.All(answers, a => Assert.Equal((owner, location.Crc32C, true), (a.SiloId, a.Location.Crc32C, a.Location.Cached)));
        Assert.Equal(1, silos.Sum(s => GrainTestCluster.StoreOf(s).ReadsOf(key)));
        Assert.Equal(1, ObjectStoreGets(silos) - getsBefore);
        Assert.Null(node.Fills.Find(request.Id));
    }

    [Fact]
    public async Task A_joining_silo_takes_its_keys_within_seconds_and_no_key_moves_between_the_silos_that_stayed()
    {
        var timeout = TimeSpan.FromSeconds(15);
        await using var cluster = await GrainTestCluster.StartAsync(2);
        await cluster.WaitForViewsAsync(TimeSpan.FromSeconds(10));
        var (_, chunks) = await cluster.PutObjectAsync("rehome.bin", 300, ChunkSize);
        var before = (await cluster.EnsureAllAsync(chunks)).Select(a => a.SiloId).ToArray();
        var twoSilos = cluster.ExpectedPlacement();
        Assert.Equal(chunks.Select(c => twoSilos.OwnerOf(PlacementKey.Of(c.Id))), before);

        var clock = Stopwatch.StartNew();
        var joined = await cluster.StartAdditionalSiloAsync();
        var joinTime = clock.Elapsed;
        var threeSilos = cluster.ExpectedPlacement();
        Assert.Equal(3, threeSilos.Count);
        var owners = chunks.Select(c => threeSilos.OwnerOf(PlacementKey.Of(c.Id))).ToArray();
        var newKeys = owners.Count(o => o == joined.Name);

        // Rounds of calls to every key until every answer comes from the key's owner. A key the new silo does not
        // own must answer from where it was before the join in every round.
        var moved = new HashSet<string>(StringComparer.Ordinal);
        var rounds = 0;
        var misplaced = chunks.Length;
        while (true)
        {
            var answers = await cluster.EnsureAllAsync(chunks);
            rounds++;
            misplaced = 0;
            for (var i = 0; i < chunks.Length; i++)
            {
                if (owners[i] != joined.Name && answers[i].SiloId != before[i])
                {
                    moved.Add($"#{i} {before[i]} -> {answers[i].SiloId}");
                }

                if (answers[i].SiloId != owners[i])
                {
                    misplaced++;
                }
            }

            if (misplaced == 0 || clock.Elapsed > joinTime + timeout)
            {
                break;
            }

            await Task.Delay(100); // a polling interval: migration is asynchronous and signals nothing
        }

        var converged = clock.Elapsed - joinTime;
        output.WriteLine($"{joined.Name} joined in {joinTime.TotalSeconds:F2} s and owns {newKeys} of {chunks.Length} keys; "
            + (misplaced == 0 ? $"every key answered from its owner {converged.TotalSeconds:F2} s after the join" : $"{misplaced} keys still misplaced after {converged.TotalSeconds:F2} s")
            + $" ({rounds} rounds of calls; {OwnedGrain.Migrations} migrations in this process)");
        Assert.Empty(moved);
        Assert.True(newKeys > 0, "the new silo owns no key; the test needs some");
        Assert.True(misplaced == 0, $"{misplaced} keys still answered from a silo that does not own them {timeout.TotalSeconds} s after {joined.Name} joined");
    }

    [Fact]
    public async Task A_snapshot_record_is_read_from_the_catalog_once_for_every_silo_and_a_reimport_is_seen_after_the_refresh()
    {
        const int Calls = 30;
        var silos = fixture.Cluster.Silos;
        var catalog = GrainTestCluster.Get<SnapshotCatalog>(silos[0]);
        var name = "snap-" + Guid.NewGuid().ToString("N")[..8];
        await catalog.PutSnapshotAsync(SnapshotRecordOf(name, "id-1"));
        var key = GrainKeys.Snapshot(catalog.Location, name);
        var grainId = GrainTestCluster.GrainsOf(silos[0]).GetGrain<ISnapshotGrain>(key).GetGrainId();
        var owner = fixture.Cluster.ExpectedPlacement().OwnerOf(GrainKeys.PlacementKeyOf(grainId));
        Dictionary<string, int> Reads() => silos.ToDictionary(s => s.Name, s => ((CountingObjectStore)GrainTestCluster.Get<SnapshotCatalog>(s).Store).ReadsOf(catalog.SnapshotKey(name)));
        Task<SnapshotRecord?[]> AskFromEverySilo(string? expectedId) =>
            Task.WhenAll(Enumerable.Range(0, Calls).Select(i => GrainTestCluster.GrainsOf(silos[i % silos.Count]).GetGrain<ISnapshotGrain>(key).GetAsync(expectedId)));

        var first = await AskFromEverySilo(null);

        Assert.All(first, r => Assert.Equal(("id-1", name, "s3://bucket/ds/", 3), (r?.Id, r?.Name, r?.Source, r?.Ranges)));
        Assert.Equal(silos.ToDictionary(s => s.Name, s => s.Name == owner ? 1 : 0), Reads());

        // A re-import: answered from memory until the refresh (the clock stands still)...
        await catalog.PutSnapshotAsync(SnapshotRecordOf(name, "id-2"));
        Assert.All(await AskFromEverySilo(null), r => Assert.Equal("id-1", r?.Id));
        Assert.Equal(1, Reads()[owner]);

        // ...and seen by every silo once RefreshAfter has passed, with one more read of the catalog.
        GrainTestSilo.SnapshotClock.Advance(new SnapshotGrainOptions().RefreshAfter);
        Assert.All(await AskFromEverySilo(null), r => Assert.Equal("id-2", r?.Id));
        Assert.Equal(2, Reads().Values.Sum());

        // A mount pinned to the import before gets the current record, so its silo can say the name was replaced.
        Assert.All(await AskFromEverySilo("id-1"), r => Assert.Equal("id-2", r?.Id));
        Assert.Null(await GrainTestCluster.GrainsOf(silos[1]).GetGrain<ISnapshotGrain>(GrainKeys.Snapshot(catalog.Location, name + "-none")).GetAsync(null));
        output.WriteLine($"snapshot grain {key} on {owner}; record reads per silo: {string.Join(", ", Reads().Select(r => $"{r.Key} {r.Value}"))}");
    }

    private static SnapshotRecord SnapshotRecordOf(string name, string id) =>
        new() { Name = name, Id = id, Metarange = "m-" + id, Source = "s3://bucket/ds/", Ranges = 3 };

    [Fact]
    public async Task A_silo_stopped_gracefully_hands_its_activations_to_the_next_owners_and_no_key_moves_between_the_others()
    {
        await using var cluster = await GrainTestCluster.StartAsync(3);
        await cluster.WaitForViewsAsync(TimeSpan.FromSeconds(10));
        var (_, chunks) = await cluster.PutObjectAsync("leave.bin", 300, ChunkSize);
        var before = (await cluster.EnsureAllAsync(chunks)).Select(a => a.SiloId).ToArray();
        var leaving = cluster.Silos.Single(s => s.Name == "Secondary_2");
        var stayers = cluster.Silos.Where(s => s != leaving).ToList();
        var onLeaving = before.Count(b => b == leaving.Name);
        long LiveOnStayers() => stayers.Sum(s => GrainTestCluster.Get<ClusterView>(s).ActivationsOf(nameof(ChunkGrain)).Current);
        var liveBefore = LiveOnStayers();

        var clock = Stopwatch.StartNew();
        await cluster.Cluster.StopSiloAsync(leaving);
        var stopTime = clock.Elapsed;

        // The leaving silo's activations migrated to their next owners before it left: they are live there now,
        // without a call. (Without the handover Orleans deactivates them, and the next call activates them anew.)
        var live = LiveOnStayers();
        output.WriteLine($"{leaving.Name} held {onLeaving} of {chunks.Length} chunk activations; graceful stop took {stopTime.TotalSeconds:F2} s; live on the others {liveBefore} before, {live} after");
        Assert.True(onLeaving > 0, "the leaving silo owned no key; the test needs some");
        Assert.Equal(liveBefore + onLeaving, live);

        var twoSilos = cluster.ExpectedPlacement();
        var after = (await cluster.EnsureAllAsync(chunks)).Select(a => a.SiloId).ToArray();
        Assert.Equal(chunks.Select(c => twoSilos.OwnerOf(PlacementKey.Of(c.Id))), after);
        Assert.All(Enumerable.Range(0, chunks.Length).Where(i => before[i] != leaving.Name), i => Assert.Equal(before[i], after[i]));
    }

    /// <summary>A new one-chunk object in the fixture's cluster: its key, its chunk's request and grain key, and the chunk's expected owner.</summary>
    private async Task<(string Key, ChunkRequest Request, string GrainKey, string Owner, SiloHandle OwnerSilo)> OneChunkAsync(string name)
    {
        var cluster = fixture.Cluster;
        var (key, chunks) = await cluster.PutObjectAsync(name, 1, ChunkSize);
        var request = chunks[0];
        var owner = cluster.ExpectedPlacement().OwnerOf(PlacementKey.Of(request.Id));
        return (key, request, GrainKeys.Chunk(request.Id), owner, cluster.Silos.Single(s => s.Name == owner));
    }

    private static long ObjectStoreGets(IEnumerable<SiloHandle> silos) => silos.Sum(s => GrainTestCluster.Get<NodeResources>(s).Counters.ObjectStoreGets);
}
