using System.Text;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Import;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Snapshots;

/// <summary>Import from a real s3rver of a generated tree with awkward names and 10,000+ objects.</summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class SnapshotImportS3Tests(S3rverServer s3)
{
    [Fact]
    public async Task Import_of_a_large_awkward_tree_lists_every_directory_like_the_source()
    {
        var bucket = await s3.CreateUniqueBucketAsync("imp");
        var tree = TestTrees.Awkward(10_050);
        foreach (var (key, content) in tree)
        {
            s3.SeedObject(bucket, "data/" + key, content);
        }

        // No "a.txt" beside "a/…" pairs here: s3rver lists those out of order and then drops keys
        // at page boundaries (docs/testing.md); the small test below covers them on one page.
        s3.SeedObject(bucket, "other/outside.txt", "not under the prefix"u8);

        using var store = s3.CreateStore(StoreUri.S3(bucket));
        using var catalog = new SnapshotCatalog(store, StoreUri.S3(bucket, ".orleansmount"));
        var importer = new SnapshotImporter(store, StoreUri.S3(bucket, "data"), catalog);
        var first = await importer.ImportAsync("big", replace: false);

        Assert.Equal(tree.Count, first.Snapshot.Entries);
        Assert.Empty(first.Snapshot.Skipped);
        Assert.True(first.Snapshot.Ranges > 1, "a 10k-entry import spans several ranges");

        using var temp = new TempDirectory();
        using var metadata = new MetadataStore(temp.Path, catalog);
        var view = await metadata.OpenSnapshotAsync("big");
        var files = tree.Keys.ToList();
        foreach (var (directory, expected) in TestTrees.NaiveDirectories(files))
        {
            var listed = await view.ListDirectoryAsync(directory);
            Assert.NotNull(listed);
            Assert.Equal(expected, listed!.Select(i => (i.Name, i.IsDirectory)).ToList());
        }

        foreach (var (key, content) in tree.Take(200))
        {
            var entry = await view.GetFileAsync(key);
            Assert.NotNull(entry);
            Assert.Equal(content.Length, entry!.Size);
            Assert.Equal($"s3://{bucket}/data/{key}", entry.PhysicalAddress);
        }

        // Re-import of the unchanged prefix: same id, same ranges, nothing new uploaded.
        var again = await importer.ImportAsync("big", replace: true);
        Assert.Equal(first.Snapshot.Id, again.Snapshot.Id);
        Assert.Equal(first.Snapshot.Metarange, again.Snapshot.Metarange);
        Assert.Equal(0, again.RangesUploaded);

        // Change one object: only the range that holds it is new.
        var changedKey = tree.Keys.OrderBy(k => k, StringComparer.Ordinal).ElementAt(tree.Count / 2);
        s3.SeedObject(bucket, "data/" + changedKey, "changed content"u8);
        var changed = await importer.ImportAsync("big", replace: true);
        Assert.NotEqual(first.Snapshot.Id, changed.Snapshot.Id);
        Assert.Equal(first.Snapshot.Ranges, changed.Snapshot.Ranges);
        var changedView = await metadata.OpenSnapshotAsync("big");
        var oldRanges = view.Ranges.Select(r => r.Id).ToHashSet();
        var newRanges = changedView.Ranges.Where(r => !oldRanges.Contains(r.Id)).ToList();
        var single = Assert.Single(newRanges);
        Assert.True(string.CompareOrdinal(single.FirstPath, changedKey) <= 0 && string.CompareOrdinal(changedKey, single.LastPath) <= 0);
        Assert.Equal(2, changed.RangesUploaded); // the one range and the new metarange
        Assert.Equal(15, (await changedView.GetFileAsync(changedKey))!.Size);
    }

    [Fact]
    public async Task Keys_that_cannot_be_files_are_skipped_by_rule_and_the_rest_sorted()
    {
        var bucket = await s3.CreateUniqueBucketAsync("imp");
        foreach (var key in new[] { "ds/a/b", "ds/a/b/c", "ds/a.txt", "ds/a-1", "ds/a b", "ds/dirmarker/", "ds/x/./y", "ds/" + new string('n', 200) })
        {
            s3.SeedObject(bucket, key, Encoding.UTF8.GetBytes(key));
        }

        using var store = s3.CreateStore(StoreUri.S3(bucket));
        using var catalog = new SnapshotCatalog(store, StoreUri.S3(bucket, ".orleansmount"));
        var result = await new SnapshotImporter(store, StoreUri.S3(bucket, "ds"), catalog).ImportAsync("rules", replace: false);
        Assert.Equal(1, result.Snapshot.Skipped["DirectoryMarker"]);
        Assert.Equal(1, result.Snapshot.Skipped["FileShadowedByDirectory"]);
        using var temp = new TempDirectory();
        using var metadata = new MetadataStore(temp.Path, catalog);
        var view = await metadata.OpenSnapshotAsync("rules");
        var root = await view.ListDirectoryAsync("");
        Assert.Equal(["a b", "a-1", "a.txt", "a", new string('n', 200), "x"], root!.Select(i => i.Name));
        Assert.True(root![3].IsDirectory);
        Assert.Equal("a/b/c", (await view.GetFileAsync("a/b/c"))!.Path);
        Assert.Null(await view.GetFileAsync("a/b"));
    }

    [Fact]
    public async Task Existing_name_needs_replace_and_empty_prefix_is_an_error()
    {
        var bucket = await s3.CreateUniqueBucketAsync("imp");
        s3.SeedObject(bucket, "ds/x", "x"u8);
        using var store = s3.CreateStore(StoreUri.S3(bucket));
        using var catalog = new SnapshotCatalog(store, StoreUri.S3(bucket, ".orleansmount"));
        await new SnapshotImporter(store, StoreUri.S3(bucket, "ds"), catalog).ImportAsync("one", replace: false);

        var exists = await Assert.ThrowsAsync<OrleansMount.Core.OrleansMountException>(() => new SnapshotImporter(store, StoreUri.S3(bucket, "ds"), catalog).ImportAsync("one", replace: false));
        Assert.Contains("--replace", exists.Message, StringComparison.Ordinal);
        var empty = await Assert.ThrowsAsync<OrleansMount.Core.OrleansMountException>(() => new SnapshotImporter(store, StoreUri.S3(bucket, "nothing-here"), catalog).ImportAsync("two", replace: false));
        Assert.Contains("holds no objects", empty.Message, StringComparison.Ordinal);
    }
}
