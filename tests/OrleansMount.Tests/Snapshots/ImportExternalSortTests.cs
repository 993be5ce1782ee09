using System.Text;
using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Import;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Storage.RocksDb;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Snapshots;

/// <summary>
/// Import at scale (issue 20, decision 0022): the external sort (forced with a memory budget of a
/// few hundred bytes, so every listing spills many runs) writes the same catalog (the same range and
/// metarange files, holding the same keys and values byte for byte) as
/// an import that sorts in memory, for unsorted listings with awkward names, file/directory
/// conflicts, skipped keys and duplicates; temporary runs never outlive the import; progress is
/// reported while listing.
/// </summary>
[UnitTest]
public sealed class ImportExternalSortTests
{
    // Names around '/' ('!' '-' '.' < '/' < '0'), outside the BMP and in U+E000–U+FFFF (which UTF-16
    // order puts after surrogates, UTF-8 order before), with spaces, and ones the path rules refuse.
    private static readonly string[] Names = ["a", "a!", "a-b", "a.b", "a b", "a0", "b", "é", "日本", "🙂", "\uFFFD", "\uE000", "z", "0"];
    private static readonly string[] Refused = ["", ".", "..", new string('n', 256), "nul\0"];

    private static readonly RangePolicy TinyRanges = new(TargetEntries: 3, MinEntries: 2, MaxEntries: 5);

    [Fact]
    public void External_sort_writes_the_same_catalog_as_an_in_memory_sort() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => Check(seed)).Check(Config.QuickThrowOnFailure.WithMaxTest(40));

    [Fact]
    public async Task The_catalog_is_the_one_the_importer_wrote_before_the_external_sort()
    {
        // Snapshot id of this listing as imported by the importer before this change (commit ae590f5,
        // in-memory runs of ObjectInfo and a conflict filter that held keys back). The id hashes the
        // metarange, which hashes every range's id, count and bytes, and each range id hashes every
        // (path, value): equal ids mean ranges and metarange with byte-identical keys and values.
        var objects = Listing(new Random(20), count: 400, withDuplicates: false, bmpHigh: false);
        foreach (var budget in new long[] { SnapshotImporter.DefaultSortMemoryBytes, 512 })
        {
            var (record, _) = await ImportAsync(objects, budget);
            Assert.Equal(ExpectedGoldenId, record.Id);
        }
    }

    [Fact]
    public async Task A_file_that_is_also_a_directory_is_skipped_however_many_keys_sort_between_them()
    {
        // "x" and "x/y" are far apart in byte order: every "x-NNNN" and "x.NNNN" sorts between them.
        var objects = new List<ObjectInfo> { Object("x"), Object("x/y"), Object("x/y/z"), Object("w") };
        for (var i = 0; i < 3000; i++)
        {
            objects.Add(Object($"x-{i:0000}"));
            objects.Add(Object($"x.{i:0000}"));
        }

        objects.Reverse();
        var (record, _) = await ImportAsync(objects, budget: 4096);
        Assert.Equal(6002, record.Entries);
        Assert.Equal(2, record.Skipped[nameof(PathVerdict.FileShadowedByDirectory)]);
    }

    [Fact]
    public async Task Temporary_runs_exist_during_an_import_and_are_removed_after_success_failure_and_cancellation()
    {
        using var work = new TempDirectory();
        var objects = Listing(new Random(7), count: 2000, withDuplicates: false, bmpHigh: true);
        var runsSeen = 0;
        void Observe(int listed)
        {
            if (listed == objects.Count)
            {
                runsSeen = Directory.EnumerateFiles(work.Path, "run-*.bin", SearchOption.AllDirectories).Count();
            }
        }

        // Success.
        await ImportAsync(new ListingObjectStore(StoreUri.S3("bucket"), objects) { OnListed = Observe }, work.Path, budget: 1024);
        Assert.True(runsSeen > 10, $"only {runsSeen} run files were spilled");
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path));

        // The store fails mid-listing, after runs were spilled.
        var failing = new ListingObjectStore(StoreUri.S3("bucket"), objects)
        {
            OnListed = n => _ = n == objects.Count / 2 ? throw new ObjectStoreException("listing failed") : 0,
        };
        await Assert.ThrowsAsync<ObjectStoreException>(() => ImportAsync(failing, work.Path, budget: 1024));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path));

        // A duplicate found while merging the runs.
        var duplicated = objects.Append(objects[100]).ToList();
        var error = await Assert.ThrowsAsync<OrleansMountException>(() => ImportAsync(new ListingObjectStore(StoreUri.S3("bucket"), duplicated), work.Path, budget: 1024));
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path));

        // Ctrl-C (the CLI cancels the token) mid-listing.
        using var cancel = new CancellationTokenSource();
        var cancelled = new ListingObjectStore(StoreUri.S3("bucket"), objects) { OnListed = n => _ = n == objects.Count / 2 ? cancel.CancelAsync() : Task.CompletedTask };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ImportAsync(cancelled, work.Path, budget: 1024, cancellationToken: cancel.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path));
    }

    [Fact]
    public async Task A_work_directory_left_by_a_killed_import_is_removed_and_one_in_use_is_kept()
    {
        using var work = new TempDirectory();
        var abandoned = Directory.CreateDirectory(Path.Combine(work.Path, SnapshotImporter.WorkDirectoryPrefix + "abandoned")).FullName;
        await File.WriteAllTextAsync(Path.Combine(abandoned, "lock"), "");
        await File.WriteAllTextAsync(Path.Combine(abandoned, "run-000000.bin"), "left over");
        var inUse = Directory.CreateDirectory(Path.Combine(work.Path, SnapshotImporter.WorkDirectoryPrefix + "in-use")).FullName;
        await using (new FileStream(Path.Combine(inUse, "lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            await ImportAsync(new ListingObjectStore(StoreUri.S3("bucket"), [Object("a")]), work.Path, budget: 1024);
        }

        Assert.False(Directory.Exists(abandoned));
        Assert.True(Directory.Exists(inUse));
    }

    [Fact]
    public async Task Imports_side_by_side_in_one_work_directory_never_take_each_others_for_abandoned()
    {
        // Each import first removes the unlocked work directories it finds; one that found another's directory in
        // the moment between its creation and its lock would delete a running import's sorted runs.
        using var work = new TempDirectory();
        var objects = Enumerable.Range(0, 300).Select(i => Object($"d{i % 5}/f{i:000}")).ToList();
        for (var round = 0; round < 10; round++)
        {
            var imports = Enumerable.Range(0, 8).Select(_ => Task.Run(() => ImportAsync(new ListingObjectStore(StoreUri.S3("bucket"), objects), work.Path, budget: 1024)));
            var results = await Task.WhenAll(imports);
            Assert.All(results, r => Assert.Equal(results[0].Record.Id, r.Record.Id));
            Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path));
        }
    }

    [Fact]
    public async Task Progress_is_reported_while_the_store_is_still_listing()
    {
        var objects = Enumerable.Range(0, 5000).Select(i => Object($"d{i % 7}/f{i:00000}")).ToList();
        var reports = new List<ImportProgress>();
        var seenMidListing = new List<ImportProgress>();
        var store = new ListingObjectStore(StoreUri.S3("bucket"), objects)
        {
            OnListed = n =>
            {
                if (n == 4500)
                {
                    seenMidListing.AddRange(reports);
                }
            },
        };
        await ImportAsync(store, workDirectory: null, budget: SnapshotImporter.DefaultSortMemoryBytes, progress: new SynchronousProgress(reports.Add));

        Assert.Equal([1000L, 2000L, 3000L, 4000L], seenMidListing.Select(r => r.ObjectsListed));
        Assert.All(seenMidListing, r => Assert.Equal(ImportPhase.Listing, r.Phase));
        var last = reports[^1];
        Assert.Equal((ImportPhase.Writing, 5000L, 5000L), (last.Phase, last.ObjectsListed, last.Entries));
    }

    private static bool Check(int seed)
    {
        var random = new Random(seed);
        var objects = Listing(random, count: random.Next(1, 150), withDuplicates: random.Next(4) == 0, bmpHigh: true);
        var inMemory = Outcome(objects, SnapshotImporter.DefaultSortMemoryBytes);
        var spilled = Outcome(objects, 64 + random.Next(512));
        if (inMemory != spilled)
        {
            throw new InvalidOperationException($"seed {seed}: in memory {inMemory}\nspilled {spilled}");
        }

        // What the path rules and the conflict rule keep, computed naively.
        var keys = objects.Select(o => o.Key["ds/".Length..]).Distinct().ToList();
        var valid = keys.Where(k => PathRules.Check(k) == PathVerdict.Ok).ToList();
        var kept = valid.Count(k => !valid.Any(v => v.StartsWith(k + "/", StringComparison.Ordinal)));
        var duplicated = keys.Count != objects.Count;
        return duplicated ? inMemory.Contains("twice", StringComparison.Ordinal) : inMemory.Contains($"entries {kept} ", StringComparison.Ordinal) || (kept == 0 && inMemory.Contains("nothing to import", StringComparison.Ordinal));
    }

    /// <summary>
    /// The import's result as text: the record's counts, the name of every range and metarange file
    /// and every key and value they hold; or the error. (The SST files' own bytes differ between any
    /// two runs, before this change too: RocksDB writes a creation time and a session id into each
    /// file's properties. What is read from them is the keys and values, hashed into the ids.)
    /// </summary>
    private static string Outcome(IReadOnlyList<ObjectInfo> objects, long budget)
    {
        try
        {
            var (record, catalog) = ImportAsync(objects, budget).GetAwaiter().GetResult();
            var text = new StringBuilder($"id {record.Id} entries {record.Entries} bytes {record.Bytes} ranges {record.Ranges} skipped {string.Join(",", record.Skipped.OrderBy(kv => kv.Key, StringComparer.Ordinal))}\n");
            using var temp = new TempDirectory();
            var files = new List<string>();
            foreach (var (key, bytes) in catalog.Where(kv => kv.Key.EndsWith(".sst", StringComparison.Ordinal)))
            {
                text.Append(key).Append('\n');
                files.Add(Path.Combine(temp.Path, $"{files.Count}.sst"));
                File.WriteAllBytes(files[^1], bytes);
            }

            using var db = RocksDatabase.Open(Path.Combine(temp.Path, "db"));
            db.IngestExternalFiles(files, moveFiles: true);
            using var iterator = db.NewIterator();
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                text.Append(Convert.ToHexString(iterator.Key)).Append(' ').Append(Convert.ToHexString(iterator.Value)).Append('\n');
            }

            return text.ToString();
        }
        catch (OrleansMountException e)
        {
            return "error " + e.Message;
        }
    }

    private static async Task<(SnapshotRecord Record, SortedDictionary<string, byte[]> Catalog)> ImportAsync(IReadOnlyList<ObjectInfo> objects, long budget)
    {
        using var source = new ListingObjectStore(StoreUri.S3("bucket"), objects);
        return await ImportAsync(source, workDirectory: null, budget);
    }

    private static async Task<(SnapshotRecord Record, SortedDictionary<string, byte[]> Catalog)> ImportAsync(
        IObjectStore source, string? workDirectory, long budget, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var store = new InMemoryObjectStore(StoreUri.S3("catalog"));
        using var catalog = new SnapshotCatalog(store, StoreUri.S3("catalog", ".orleansmount"));
        var importer = new SnapshotImporter(source, StoreUri.S3("bucket", "ds"), catalog, policy: TinyRanges, workDirectory: workDirectory)
        {
            SortMemoryBytes = budget,
            SortChunkBytes = (int)Math.Min(budget, 1024 * 1024),
        };
        var result = await importer.ImportAsync("p", replace: false, progress, cancellationToken);
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        await foreach (var info in store.ListAsync("", cancellationToken))
        {
            var bytes = new byte[info.Size];
            await store.ReadAsync(info.Key, 0, bytes, null, cancellationToken);
            files[info.Key] = bytes;
        }

        return (result.Snapshot, files);
    }

    /// <summary>A shuffled listing under "ds/" of random paths: conflicts, refused keys, directory markers, optional duplicates.</summary>
    private static List<ObjectInfo> Listing(Random random, int count, bool withDuplicates, bool bmpHigh)
    {
        var names = bmpHigh ? Names : Names.Where(n => n is not ("\uFFFD" or "\uE000")).ToArray();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var depth = random.Next(1, 5);
            var segments = Enumerable.Range(0, depth).Select(_ => random.Next(25) == 0 ? Refused[random.Next(Refused.Length)] : names[random.Next(names.Length)]);
            var key = "ds/" + string.Join('/', segments) + (random.Next(30) == 0 ? "/" : "");
            keys.Add(key);
        }

        var objects = keys.Select(k => Object(k[3..], random)).ToList();
        if (withDuplicates && objects.Count > 0)
        {
            objects.Add(objects[random.Next(objects.Count)]);
        }

        return objects.OrderBy(_ => random.Next()).ToList();
    }

    private static ObjectInfo Object(string path) => Object(path, new Random(path.Length));

    private static ObjectInfo Object(string path, Random random)
    {
        // Both ETag shapes the codecs know: S3's 32 hex digits, and anything else (multipart, file://).
        var etag = random.Next(2) == 0 ? Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) : $"e{random.Next()}-2";
        return new ObjectInfo("ds/" + path, random.Next(0, 1 << 20), etag, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.Next()));
    }

    private const string ExpectedGoldenId = "06b2bebdc97e4ae427af58eee55453de";

    private sealed class SynchronousProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}
