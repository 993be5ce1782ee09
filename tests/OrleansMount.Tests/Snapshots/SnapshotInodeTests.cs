using System.Text;
using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core;
using OrleansMount.Storage.RocksDb;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Import;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Snapshots;

/// <summary>
/// Inode numbers (docs/SEMANTICS.md, decision 0013): every file and directory of a snapshot gets a
/// distinct number, derived from the files' ordinals in key order, and the same numbers come back from
/// another node's metadata store, from a re-import into another catalog and with other range boundaries.
/// </summary>
[UnitTest]
public sealed class SnapshotInodeTests
{
    // Names that sort around '/' ('.' < '/' < '0'), outside the BMP and with spaces.
    private static readonly string[] Names = ["a", "a.b", "a0", "a!", "b", "a b", "é", "日本", "🙂", "z", "0", "a-b"];

    [Fact]
    public void Numbers_are_distinct_match_the_ordinals_and_survive_reopening_and_reimport() =>
        // 40 cases: each imports the snapshot twice and opens it on three metadata stores.
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => Check(seed)).Check(Config.QuickThrowOnFailure.WithMaxTest(40));

    [Fact]
    public async Task A_file_at_sorted_position_k_has_number_k_plus_1_shifted_by_12_and_a_directory_its_first_files_plus_depth()
    {
        // Key order: a.b < a/b < a/c/d < a0 < b ('.' 0x2E < '/' 0x2F < '0' 0x30).
        using var snapshot = await Imported.CreateAsync(["b", "a0", "a/c/d", "a/b", "a.b"], new RangePolicy(TargetEntries: 2, MinEntries: 1, MaxEntries: 2));
        var inos = await WalkAsync(snapshot.View);
        Assert.Equal(1UL, inos[""]);
        Assert.Equal(0x1000UL, inos["a.b"]);
        Assert.Equal(0x2000UL, inos["a/b"]);
        Assert.Equal(0x3000UL, inos["a/c/d"]);
        Assert.Equal(0x4000UL, inos["a0"]);
        Assert.Equal(0x5000UL, inos["b"]);
        Assert.Equal(0x2001UL, inos["a"]); // its first file is a/b (ordinal 1), depth 1
        Assert.Equal(0x3002UL, inos["a/c"]); // a/c/d (ordinal 2), depth 2
        Assert.Equal(8, inos.Count);
        Assert.True(snapshot.View.Ranges.Count >= 3, "the names straddle ranges");
    }

    [Fact]
    public void Depth_and_ordinal_limits_are_enforced()
    {
        Assert.Equal((1UL << 12) | 4095, InodeNumbers.Directory(0, InodeNumbers.MaxDirectoryDepth));
        Assert.Throws<ArgumentOutOfRangeException>(() => InodeNumbers.Directory(0, 4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => InodeNumbers.Directory(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InodeNumbers.File(-1));
        Assert.Equal(ulong.MaxValue - InodeNumbers.MaxDirectoryDepth, InodeNumbers.File(InodeNumbers.MaxOrdinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => InodeNumbers.File(InodeNumbers.MaxOrdinal + 1));
        Assert.Equal(PathVerdict.Ok, PathRules.Check(string.Join('/', Enumerable.Repeat("d", PathRules.MaxSegments))));
        Assert.Equal(PathVerdict.TooDeep, PathRules.Check(string.Join('/', Enumerable.Repeat("d", PathRules.MaxSegments + 1))));
        Assert.Equal(3, InodeNumbers.Depth("a/b/c"));
        Assert.Equal(0, InodeNumbers.Depth(""));
    }

    [Fact]
    public async Task A_snapshot_with_format_1_entries_still_lists_and_reads_but_has_no_numbers()
    {
        string[] files = ["a/b", "a/c", "d", "e/f/g"];
        using var snapshot = await Imported.CreateAsync(files, new RangePolicy(TargetEntries: 2, MinEntries: 1, MaxEntries: 2));
        var expected = await snapshot.View.ListDirectoryAsync("");

        // Rewrite every range file of the catalog as an older import wrote it: the values without their index.
        foreach (var range in snapshot.View.Ranges)
        {
            var key = snapshot.Catalog.RangeKey(range.Id);
            var file = Path.Combine(snapshot.Temp.Path, range.Id + ".sst");
            await snapshot.Catalog.DownloadAsync(key, file);
            var rewritten = file + ".v1";
            using (var scratch = RocksDatabase.Open(Path.Combine(snapshot.Temp.Path, "scratch-" + range.Id)))
            {
                scratch.IngestExternalFiles([file], moveFiles: false);
                using var writer = SstFileWriter.Create(rewritten);
                using var iterator = scratch.NewIterator();
                for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
                {
                    var value = iterator.Value;
                    var p = 1;
                    _ = VarInt.Read(value, ref p);
                    writer.Put(iterator.Key, [EntryCodec.Version1, .. value[p..]]);
                }

                writer.Finish();
            }

            await snapshot.Catalog.Store.PutAsync(key, await File.ReadAllBytesAsync(rewritten));
        }

        using var node = new MetadataStore(Path.Combine(snapshot.Temp.Path, "old-node"), snapshot.Catalog);
        var old = await node.OpenSnapshotAsync("p");
        var listed = (await old.ListDirectoryAsync(""))!;
        Assert.Equal(expected!.Select(i => (i.Name, i.Entry)), listed.Select(i => (i.Name, i.Entry)));
        Assert.All(listed, i => Assert.Null(i.Ino));
        Assert.Equal(1, (await old.GetFileAsync("d"))!.Size);
    }

    private static bool Check(int seed)
    {
        var random = new Random(seed);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var count = random.Next(1, 150);
        for (var i = 0; i < count; i++)
        {
            var depth = random.Next(1, random.Next(6) == 0 ? 12 : 5);
            paths.Add(string.Join('/', Enumerable.Range(0, depth).Select(_ => Names[random.Next(Names.Length)])));
        }

        // What the import keeps: a file that is also a directory prefix is dropped.
        var files = paths.Where(p => !paths.Any(q => q.StartsWith(p + "/", StringComparison.Ordinal))).ToList();
        var expected = ReferenceInodes.Of(files);

        using var tiny = Imported.CreateAsync(files, new RangePolicy(TargetEntries: 3, MinEntries: 2, MaxEntries: 5)).GetAwaiter().GetResult();
        var first = WalkAsync(tiny.View).GetAwaiter().GetResult();
        Require(seed, "numbers differ from the ordinals", expected.OrderBy(kv => kv.Key, StringComparer.Ordinal).SequenceEqual(first.OrderBy(kv => kv.Key, StringComparer.Ordinal)));
        Require(seed, "two paths share a number", first.Values.Distinct().Count() == first.Count);

        // Another node: a fresh metadata store over the same catalog.
        using (var other = new MetadataStore(Path.Combine(tiny.Temp.Path, "other-node"), tiny.Catalog))
        {
            var again = WalkAsync(other.OpenSnapshotAsync("p").GetAwaiter().GetResult()).GetAwaiter().GetResult();
            Require(seed, "another node numbers differently", Same(first, again));
        }

        // A re-import into a new catalog, with other range boundaries: numbers do not depend on ranges.
        using var wide = Imported.CreateAsync(files, new RangePolicy(TargetEntries: 7, MinEntries: 1, MaxEntries: 11)).GetAwaiter().GetResult();
        Require(seed, "a re-import numbers differently", Same(first, WalkAsync(wide.View).GetAwaiter().GetResult()));
        return true;
    }

    private static bool Same(Dictionary<string, ulong> a, Dictionary<string, ulong> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static void Require(int seed, string what, bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"seed {seed}: {what}");
        }
    }

    /// <summary>Every file and directory reachable from the root by listings, with the number its listing gave.</summary>
    internal static async Task<Dictionary<string, ulong>> WalkAsync(SnapshotView view)
    {
        var inos = new Dictionary<string, ulong>(StringComparer.Ordinal) { [""] = InodeNumbers.Root };
        var pending = new Stack<string>([""]);
        while (pending.TryPop(out var directory))
        {
            foreach (var item in (await view.ListDirectoryAsync(directory))!)
            {
                var path = PathRules.Join(directory, item.Name);
                inos.Add(path, item.Ino ?? throw new InvalidOperationException($"no number for '{path}'"));
                if (item.IsDirectory)
                {
                    pending.Push(path);
                }
            }
        }

        return inos;
    }

    /// <summary>A snapshot "p" of the given files imported into its own in-memory bucket and catalog, opened on a node.</summary>
    private sealed class Imported : IDisposable
    {
        private readonly InMemoryObjectStore _store;
        private readonly MetadataStore _metadata;

        private Imported(TempDirectory temp, InMemoryObjectStore store, SnapshotCatalog catalog, MetadataStore metadata, SnapshotView view)
        {
            Temp = temp;
            _store = store;
            Catalog = catalog;
            _metadata = metadata;
            View = view;
        }

        public TempDirectory Temp { get; }

        public SnapshotCatalog Catalog { get; }

        public SnapshotView View { get; }

        public static async Task<Imported> CreateAsync(IEnumerable<string> files, RangePolicy policy)
        {
            var temp = new TempDirectory();
            var store = new InMemoryObjectStore(StoreUri.S3("bucket"));
            foreach (var file in files)
            {
                await store.PutAsync("ds/" + file, Encoding.UTF8.GetBytes(file));
            }

            var catalog = new SnapshotCatalog(store, StoreUri.S3("bucket", ".orleansmount"));
            await new SnapshotImporter(store, StoreUri.S3("bucket", "ds"), catalog, policy: policy).ImportAsync("p", replace: false);
            var metadata = new MetadataStore(Path.Combine(temp.Path, "node"), catalog);
            return new Imported(temp, store, catalog, metadata, await metadata.OpenSnapshotAsync("p"));
        }

        public void Dispose()
        {
            _metadata.Dispose();
            Catalog.Dispose();
            _store.Dispose();
            Temp.Dispose();
        }
    }
}
