using System.Net;
using System.Net.Http.Json;
using System.Text;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Import;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Security;

/// <summary>
/// Names and paths that could reach outside a snapshot: over-long names looked up through a real kernel
/// mount, hostile paths and object addresses sent to a real silo's API, and keys that cannot be files at
/// import. (s3rver stores objects as files, so it cannot hold keys with "..", NUL, empty or over-long
/// segments: those keys are imported from the in-memory store, every rule of the importer being the same.)
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class HostileInputTests(S3rverServer s3) : NodeProcessTests(s3, "om-hostile-")
{
    [Fact]
    public async Task Over_long_names_and_paths_outside_the_snapshot_are_refused_by_the_mount_and_the_silo()
    {
        var (catalog, files) = await SeedAndImportAsync("hos", "hostile", 3, 1000, 5000, i => $"dir/f{i}.bin");
        var bucket = new Uri(catalog).Host;
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");
        await MountAsync("hostile", mnt, socket, Path.Combine(Temp.Path, "mount.log"));

        // Lookups: a 255-byte name that is not there, and names over the limit, which the kernel or the mount refuses.
        Assert.Throws<FileNotFoundException>(() => File.GetAttributes(Path.Combine(mnt, "dir", new string('a', 255))));
        foreach (var length in new[] { 256, 300, 1000 })
        {
            var error = Assert.ThrowsAny<IOException>(() => File.GetAttributes(Path.Combine(mnt, "dir", new string('b', length))));
            Assert.True(error is FileNotFoundException or PathTooLongException, $"a {length}-byte name gave {error.GetType().Name}: {error.Message}");
        }

        Assert.Equal(files.Keys.Select(k => Path.GetFileName(k)).Order(StringComparer.Ordinal), Directory.EnumerateFiles(Path.Combine(mnt, "dir")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (key, content) in files)
        {
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(mnt, key)));
        }

        // The API: listings of paths outside the snapshot, with NUL, or with over-long names are 400s.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };
        var refused = 0;
        foreach (var path in new[] { "..", "../..", "dir/../../etc", "/dir/./x", "dir//x", "dir%00x", new string('c', 256) })
        {
            using var response = await http.GetAsync(new Uri($"api/v1/snapshots/hostile/list?path={path}", UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"list of '{path}' answered {(int)response.StatusCode}");
            Assert.Contains("is not a valid path inside a snapshot", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            refused++;
        }

        // Chunk requests for objects outside the snapshot's source: another prefix, a path climbing out, another bucket.
        var listing = (await http.GetFromJsonAsync<DirectoryListing>(new Uri("api/v1/snapshots/hostile/list?path=dir", UriKind.Relative)))!;
        var item = listing.Items[0];
        foreach (var address in new[] { $"s3://{bucket}/.orleansmount/snapshots/hostile.json", $"s3://{bucket}/ds/dir/../../.orleansmount/snapshots/hostile.json", $"s3://{bucket}/ds//dir/f0.bin", $"s3://other-bucket/ds/dir/f0.bin", "file:///etc/passwd" })
        {
            var request = new ChunkRequest(address, item.ETag!, item.Size, 0, 4 * MiB, "hostile", listing.SnapshotId);
            using var response = await http.PostAsJsonAsync("api/v1/chunks/data", request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"chunk of {address} answered {(int)response.StatusCode}");
            Assert.Contains("is not an object of snapshot", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            refused++;
        }

        Assert.Equal(12, refused);
        Assert.Equal(0, (await silo.StatsAsync()).ObjectStoreGets - files.Count);
    }

    [Fact]
    public async Task Keys_that_could_escape_are_skipped_at_import_by_rule_and_never_listed()
    {
        using var store = new InMemoryObjectStore(StoreUri.S3("bucket"));
        string[] good = ["ds/ok.txt", "ds/sub/ok.bin", "ds/" + new string('n', 255)];
        string[] hostile = ["ds/../escape", "ds/sub/../../escape", "ds//abs", "ds/./dot", "ds/sub/..", "ds/nul\0byte", "ds/" + new string('l', 256), "ds/sub/" + new string('é', 128)];
        foreach (var key in good.Concat(hostile))
        {
            await store.PutAsync(key, Encoding.UTF8.GetBytes(key));
        }

        using var catalog = new SnapshotCatalog(store, StoreUri.S3("bucket", ".orleansmount"));
        var result = await new SnapshotImporter(store, StoreUri.S3("bucket", "ds"), catalog).ImportAsync("h", replace: false);
        Assert.Equal(5, result.Snapshot.Skipped[nameof(PathVerdict.BadSegment)]);
        Assert.Equal(1, result.Snapshot.Skipped[nameof(PathVerdict.InvalidCharacter)]);
        Assert.Equal(2, result.Snapshot.Skipped[nameof(PathVerdict.NameTooLong)]);
        using var temp = new TempDirectory();
        using var metadata = new MetadataStore(temp.Path, catalog);
        var view = await metadata.OpenSnapshotAsync("h");
        Assert.Equal([new string('n', 255), "ok.txt", "sub"], (await view.ListDirectoryAsync(""))!.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["ok.bin"], (await view.ListDirectoryAsync("sub"))!.Select(i => i.Name));
        Assert.Null(await view.GetFileAsync("../escape"));
    }
}
