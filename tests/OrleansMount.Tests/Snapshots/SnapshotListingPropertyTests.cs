using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Core;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Import;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Snapshots;

/// <summary>
/// Property: for random sets of paths imported with tiny ranges (so directories straddle many
/// ranges), listing any directory through the ranges equals a naive listing of the same paths.
/// </summary>
[UnitTest]
public sealed class SnapshotListingPropertyTests
{
    private static readonly string[] Names = ["a", "b", "a b", "a.b", "a-b", "é", "ü", "z", "a!", "dir", "日本", "0"];

    [Fact]
    public void Listing_through_ranges_equals_naive_listing() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => Check(seed)).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData("")]
    [InlineData("x/name")]
    [InlineData("f/")]
    [InlineData("f/a/b")]
    [InlineData("dname")]
    [InlineData("s/")]
    public void A_cursor_the_silo_did_not_hand_out_is_refused(string cursor)
    {
        var e = Assert.Throws<OrleansMountException>(() => ListingCursor.ResumeKey([], cursor));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("list the directory again from its start", e.Message, StringComparison.Ordinal);
    }

    private static bool Check(int seed)
    {
        var random = new Random(seed);
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        var count = random.Next(1, 120);
        for (var i = 0; i < count; i++)
        {
            var depth = random.Next(1, 5);
            paths.Add(string.Join('/', Enumerable.Range(0, depth).Select(_ => Names[random.Next(Names.Length)])));
        }

        // What the import keeps: a file that is also a directory prefix is dropped.
        var files = paths.Where(p => !paths.Any(q => q.StartsWith(p + "/", StringComparison.Ordinal))).ToList();
        using var temp = new TempDirectory();
        using var store = new InMemoryObjectStore(StoreUri.S3("bucket"));
        foreach (var path in paths)
        {
            store.PutAsync("ds/" + path, System.Text.Encoding.UTF8.GetBytes(path)).GetAwaiter().GetResult();
        }

        using var catalog = new SnapshotCatalog(store, StoreUri.S3("bucket", ".orleansmount"));
        var importer = new SnapshotImporter(store, StoreUri.S3("bucket", "ds"), catalog, policy: new RangePolicy(TargetEntries: 3, MinEntries: 2, MaxEntries: 5));
        importer.ImportAsync("p", replace: false).GetAwaiter().GetResult();
        using var metadata = new MetadataStore(temp.Path, catalog);
        var view = metadata.OpenSnapshotAsync("p").GetAwaiter().GetResult();

        var directories = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (var file in files)
        {
            for (var slash = file.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = file.IndexOf('/', slash + 1))
            {
                directories.Add(file[..slash]);
            }
        }

        foreach (var directory in directories)
        {
            var expected = NaiveList(files, directory);
            var actual = view.ListDirectoryAsync(directory).GetAwaiter().GetResult()!
                .Select(i => (i.Name, i.IsDirectory, i.Entry?.Size ?? 0)).ToList();
            if (!expected.SequenceEqual(actual))
            {
                throw new InvalidOperationException($"seed {seed}, directory '{directory}': expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");
            }

            // Paged: pages of a random size, each resumed from the last page's cursor, add up to the whole listing.
            var whole = view.ListDirectoryAsync(directory).GetAwaiter().GetResult()!;
            var limit = random.Next(1, 5);
            var paged = new List<DirectoryItem>();
            string? cursor = null;
            do
            {
                var page = view.ListDirectoryPageAsync(directory, cursor, limit).GetAwaiter().GetResult()!;
                if (page.Items.Count > limit || (page.Next is not null && page.Items.Count != limit))
                {
                    throw new InvalidOperationException($"seed {seed}, directory '{directory}': a page of limit {limit} held {page.Items.Count} (next '{page.Next}')");
                }

                // The silo writes the same page from the store's keys and values, byte for byte (decision 0032).
                var writer = new CompactListingWriter(view.Record.Source, EntryCodec.ToUnixNanoseconds(view.Record.CreatedAt), "snap");
                var scan = view.ScanDirectoryPageAsync(directory, cursor, limit, writer).GetAwaiter().GetResult();
                var encoded = ListingCodec.Encode(new DirectoryListing(view.Record.Id, directory, [.. page.Items.Select(i => CompactListingWriterTests.CompactItem(i, view.Record.Source, view.Record.CreatedAt))], page.Next));
                if (!scan.Found || scan.Count != page.Items.Count || scan.Next != page.Next || !encoded.AsSpan().SequenceEqual(writer.Finish(view.Record.Id, directory, scan.Next)))
                {
                    throw new InvalidOperationException($"seed {seed}, directory '{directory}': the written page after '{cursor}' ({scan}) differs from the encoded one ({page.Items.Count} items, next '{page.Next}')");
                }

                paged.AddRange(page.Items);
                cursor = page.Next;
            }
            while (cursor is not null);
            if (!whole.Select(Describe).SequenceEqual(paged.Select(Describe)))
            {
                throw new InvalidOperationException($"seed {seed}, directory '{directory}', pages of {limit}: expected [{string.Join(", ", whole.Select(Describe))}] got [{string.Join(", ", paged.Select(Describe))}]");
            }

            // A page from a name: the children whose key ("name", or "name/" for a subdirectory) is at or after the
            // name in key order, for names listed and names not, at any limit.
            foreach (var from in whole.Select(i => i.Name).Append(Names[random.Next(Names.Length)]).Append("a."))
            {
                var fromLimit = random.Next(1, 5);
                var expectedFrom = whole.Where(i => KeyOrder.Instance.Compare(i.IsDirectory ? i.Name + "/" : i.Name, from) >= 0).Take(fromLimit).Select(Describe);
                var actualFrom = view.ListDirectoryPageAsync(directory, ListingCursor.From(from), fromLimit).GetAwaiter().GetResult()!.Items.Select(Describe);
                if (!expectedFrom.SequenceEqual(actualFrom))
                {
                    throw new InvalidOperationException($"seed {seed}, directory '{directory}', {fromLimit} from '{from}': expected [{string.Join(", ", expectedFrom)}] got [{string.Join(", ", actualFrom)}]");
                }
            }

            // Point lookups answer what the listing says, inode number included, without listing.
            foreach (var item in whole)
            {
                var found = view.LookupAsync(directory, item.Name).GetAwaiter().GetResult();
                if (found is null || Describe(found) != Describe(item))
                {
                    throw new InvalidOperationException($"seed {seed}: lookup of '{item.Name}' in '{directory}' gave {(found is null ? "nothing" : Describe(found))}, the listing {Describe(item)}");
                }
            }

            if (view.LookupAsync(directory, "no such name").GetAwaiter().GetResult() is not null)
            {
                throw new InvalidOperationException($"seed {seed}: lookup of a missing name in '{directory}' found something");
            }
        }

        // Readahead across files: the files after a path below a directory, in key order at any depth, with their ordinals.
        var ordered = files.Order(KeyOrder.Instance).ToList();
        foreach (var directory in directories)
        {
            var prefix = directory.Length == 0 ? "" : directory + "/";
            var below = ordered.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            var afters = Enumerable.Range(0, 4).Select(_ => below[random.Next(below.Count)]).Append(prefix + Names[random.Next(Names.Length)]).Append(below[^1]);
            foreach (var after in afters)
            {
                var limit = random.Next(1, 6);
                var expected = below.Where(f => KeyOrder.Instance.Compare(f, after) > 0).Take(limit).Select(f => $"{f}#{ordered.IndexOf(f)}");
                var actual = view.FilesAfterAsync(directory, after, limit).GetAwaiter().GetResult().Select(x => $"{x.Entry.Path}#{x.Ordinal}");
                if (!expected.SequenceEqual(actual))
                {
                    throw new InvalidOperationException($"seed {seed}: {limit} files after '{after}' below '{directory}': expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");
                }
            }

            if (directory.Length > 0 && view.FilesAfterAsync(directory, "", 5).GetAwaiter().GetResult().Count != 0)
            {
                throw new InvalidOperationException($"seed {seed}: files after a path outside '{directory}' were found below it");
            }
        }

        foreach (var file in files)
        {
            var entry = view.GetFileAsync(file).GetAwaiter().GetResult();
            if (entry is null || entry.Size != System.Text.Encoding.UTF8.GetByteCount(file) || view.IsDirectoryAsync(file).GetAwaiter().GetResult())
            {
                throw new InvalidOperationException($"seed {seed}: lookup of '{file}' failed");
            }
        }

        if (view.ScanDirectoryPageAsync("no/such/dir", null, 5, new CompactListingWriter(view.Record.Source, 0, "snap")).GetAwaiter().GetResult().Found)
        {
            throw new InvalidOperationException($"seed {seed}: a scan of a missing directory found it");
        }

        return view.ListDirectoryAsync("no/such/dir").GetAwaiter().GetResult() is null
            && view.GetFileAsync("nosuchfile").GetAwaiter().GetResult() is null;
    }

    private static string Describe(DirectoryItem item) => $"{item.Name}:{(item.IsDirectory ? "dir" : item.Entry!.Size)}:{item.Ino}";

    private static List<(string Name, bool IsDirectory, long Size)> NaiveList(List<string> files, string directory)
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        // Listing order is key order: a directory sorts as "name/".
        var children = new SortedDictionary<string, (string, bool, long)>(KeyOrder.Instance);
        foreach (var file in files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var rest = file[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var name = slash < 0 ? rest : rest[..slash];
            children[slash < 0 ? name : name + "/"] = (name, slash >= 0, slash < 0 ? System.Text.Encoding.UTF8.GetByteCount(file) : 0);
        }

        return [.. children.Values];
    }
}
