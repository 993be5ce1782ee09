using System.Diagnostics;
using OrleansMount.Core.Placement;
using OrleansMount.Grains;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Cluster;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// The chunk grain's placement, single fill and re-homing on in-process Orleans silos (TestingHost) wired as the
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
        var cluster = fixture.Cluster;
        var silos = cluster.Silos;
        var (key, chunks) = await cluster.PutObjectAsync("single.bin", 1, ChunkSize);
        var request = chunks[0];
        var grainKey = GrainKeys.Chunk(request.Id);
        var owner = cluster.ExpectedPlacement().OwnerOf(PlacementKey.Of(request.Id));
        var getsBefore = silos.Sum(s => GrainTestCluster.Get<NodeResources>(s).Counters.ObjectStoreGets);

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
        Assert.Equal(1, silos.Sum(s => GrainTestCluster.Get<NodeResources>(s).Counters.ObjectStoreGets) - getsBefore);
        Assert.All(silos, s => Assert.Equal(s.Name == owner ? Calls : 0, GrainTestCluster.Get<ChunkCallProbe>(s).ArrivalsAt(grainKey)));
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
}
