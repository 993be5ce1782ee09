using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// When a mount reads ahead across files (decision 0029), and what it asks: against a model silo that covers the next
/// files of a sorted snapshot, as many as a bound of free slots allows.
/// </summary>
[UnitTest]
public sealed class FileReadaheadTests
{
    private const int Files = 32;

    /// <summary>The snapshot: file k is "d{k / 1000}/f{k % 1000}" with zero-padded numbers, so key order is ordinal order.</summary>
    private static string PathOf(long k) => $"d{k / 1000:D3}/f{k % 1000:D3}";

    private sealed class ModelSilo(long count, int slots = int.MaxValue)
    {
        public List<(string After, int Files)> Asked { get; } = [];

        public SortedSet<long> Covered { get; } = [];

        public int Slots { get; set; } = slots;

        public Task<FileReadaheadAnswer?> AskAsync(string after, int files, CancellationToken cancellationToken)
        {
            lock (Asked)
            {
                Asked.Add((after, files));
                var from = long.Parse(after[1..4]) * 1000 + long.Parse(after[6..]) + 1;
                var to = Math.Min(count, from + files);
                var covered = (int)Math.Min(to - from, Slots);
                for (var k = from; k < from + covered; k++)
                {
                    Covered.Add(k);
                }

                var last = covered == 0 ? (long?)null : from + covered - 1;
                return Task.FromResult<FileReadaheadAnswer?>(new FileReadaheadAnswer(covered, covered, last is { } l ? PathOf(l) : null, last is { } m ? InodeNumbers.File(m) : 0, to < from + files && covered == to - from));
            }
        }
    }

    private static FileReadahead Create(ModelSilo silo, int files = Files) => new(silo.AskAsync, files, NullLogger.Instance);

    private static void Open(FileReadahead ahead, long k) => ahead.OnOpen(InodeNumbers.File(k), PathOf(k));

    [Fact]
    public void A_walk_in_key_order_is_read_ahead_and_every_file_it_opens_later_was_covered_before()
    {
        var silo = new ModelSilo(10_000);
        var ahead = Create(silo);
        for (var k = 0L; k < 3 * (FileReadahead.Streak - 1); k++)
        {
            // Three opens are not a walk yet.
            if (k == FileReadahead.Streak - 2)
            {
                Assert.Empty(silo.Asked);
            }

            Open(ahead, k);
        }

        Assert.NotEmpty(silo.Asked);
        Assert.Equal((PathOf(FileReadahead.Streak - 1), Files), silo.Asked[0]);

        for (var k = 3L * (FileReadahead.Streak - 1); k < 2_500; k++)
        {
            Assert.True(k < 100 || silo.Covered.Contains(k), $"file {k} opened before it was read ahead");
            Open(ahead, k);
        }

        // Asked again when half the files ahead were used: about one request per Files / 2 opens, each after the last covered file.
        Assert.InRange(silo.Asked.Count, 2_500 / Files, 2_500 / (Files / 2) + 2);
        Assert.All(silo.Asked.Skip(1), a => Assert.True(silo.Covered.Contains(long.Parse(a.After[1..4]) * 1000 + long.Parse(a.After[6..])), a.After));
        Assert.Equal(silo.Asked.Count, ahead.Requests);
        Assert.Equal(silo.Covered.Count, ahead.FilesCovered);
    }

    [Fact]
    public void Eight_readers_taking_files_slightly_out_of_order_are_one_walk()
    {
        var silo = new ModelSilo(10_000);
        var ahead = Create(silo);
        var random = new Random(3);
        for (var block = 0; block < 100; block++)
        {
            foreach (var k in Enumerable.Range(block * 8, 8).OrderBy(_ => random.Next()))
            {
                Open(ahead, k);
            }
        }

        Assert.InRange(silo.Asked.Count, 800 / Files, 800 / (Files / 2) + 2);
        Assert.True(silo.Covered.IsSupersetOf(Enumerable.Range(100, 700).Select(k => (long)k)));
    }

    [Fact]
    public void Shuffled_opens_start_no_walk_and_in_a_tiny_snapshot_only_a_few()
    {
        foreach (var (count, seed) in new[] { (2_000, 1), (2_000, 2), (100_000, 3), (1_281_167, 4), (80, 1), (80, 2), (200, 1), (200, 2) })
        {
            var silo = new ModelSilo(count);
            var ahead = Create(silo);
            var random = new Random(seed);
            foreach (var k in Enumerable.Range(0, count).OrderBy(_ => random.Next()).Take(20_000))
            {
                Open(ahead, k);
            }

            // A snapshot a few Slack wide is all "near": its shuffled opens end up dense enough to look like a walk, and
            // the files read ahead are ones the epoch reads anyway.
            var allowed = count <= 8 * FileReadahead.Slack ? 3 : 0;
            Assert.True(silo.Asked.Count <= allowed, $"{silo.Asked.Count} requests for shuffled opens of {count} files (seed {seed})");
        }
    }

    [Fact]
    public void Opening_one_file_again_and_again_is_no_walk_and_every_third_file_is_one()
    {
        var silo = new ModelSilo(10_000);
        var ahead = Create(silo);
        for (var i = 0; i < 100; i++)
        {
            Open(ahead, 5_000);
        }

        Assert.Empty(silo.Asked);

        for (var k = 0L; k < 300; k += 3)
        {
            Open(ahead, k);
        }

        Assert.NotEmpty(silo.Asked);

        var sparse = new ModelSilo(10_000);
        var skipping = Create(sparse);
        for (var k = 0L; k < 400; k += 4)
        {
            Open(skipping, k);
        }

        Assert.Empty(sparse.Asked); // a quarter of the files is below the density a walk needs
    }

    [Fact]
    public void Two_interleaved_walks_are_both_read_ahead_and_directories_and_the_root_are_ignored()
    {
        var silo = new ModelSilo(100_000);
        var ahead = Create(silo);
        for (var i = 0L; i < 200; i++)
        {
            Open(ahead, i);
            Open(ahead, 50_000 + i);
            ahead.OnOpen(InodeNumbers.Directory(i, 1), "d000");
            ahead.OnOpen(InodeNumbers.Root, "");
        }

        Assert.Contains(silo.Covered, k => k is > 100 and < 300);
        Assert.Contains(silo.Covered, k => k is > 50_100 and < 50_300);
        Assert.DoesNotContain(silo.Covered, k => k is > 300 and < 50_000);
    }

    [Fact]
    public void A_full_node_bound_backs_off_and_the_end_of_the_snapshot_stops_it()
    {
        var silo = new ModelSilo(10_000, slots: 0);
        var ahead = Create(silo);
        for (var k = 0L; k < 40; k++)
        {
            Open(ahead, k);
        }

        // Nothing covered: asked once per BackOffOpens + 1 opens, not on every open.
        Assert.InRange(silo.Asked.Count, 37 / (FileReadahead.BackOffOpens + 1), (37 / (FileReadahead.BackOffOpens + 1)) + 2);
        Assert.Empty(silo.Covered);

        var small = new ModelSilo(50);
        var toEnd = Create(small);
        for (var k = 0L; k < 50; k++)
        {
            Open(toEnd, k);
        }

        Assert.Equal(Enumerable.Range(FileReadahead.Streak, 50 - FileReadahead.Streak).Select(k => (long)k), small.Covered);
        var asked = small.Asked.Count;
        Assert.True(asked <= 3, $"{asked} requests for 50 files");
    }

    [Fact]
    public void Off_when_files_is_zero()
    {
        var silo = new ModelSilo(10_000);
        var ahead = Create(silo, files: 0);
        for (var k = 0L; k < 100; k++)
        {
            Open(ahead, k);
        }

        Assert.Empty(silo.Asked);
    }
}
