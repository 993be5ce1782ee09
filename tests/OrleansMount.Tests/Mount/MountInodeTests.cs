using System.Globalization;
using System.Text.Json;
using OrleansMount.Core;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using OrleansMount.Tests.Snapshots;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// Inode numbers through a real kernel mount (docs/SEMANTICS.md, "Inode numbers"): what `stat -c %i`
/// shows for every file and directory is the silo's numbering, and the same after umount + mount and
/// after the mount is served by another silo with an empty cache.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class MountInodeTests(S3rverServer s3) : NodeProcessTests(s3, "om-ino-")
{
    [Fact]
    public async Task Stat_shows_the_silos_inode_numbers_and_they_survive_remounts_and_another_silo()
    {
        var bucket = await S3.CreateUniqueBucketAsync("ino");
        // Names sorting around '/' ('.' < '/' < '0') on one listing page (docs/testing.md), plus an awkward tree.
        var files = new List<string> { "a.b", "a/b", "a/c/d", "a0", "b" };
        files.AddRange(TestTrees.Awkward(150, seed: 11).Keys.Select(k => "t/" + k));
        foreach (var file in files)
        {
            S3.SeedObject(bucket, "ds/" + file, System.Text.Encoding.UTF8.GetBytes(file));
        }

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "i1"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var catalog = $"s3://{bucket}/.orleansmount/";
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");
        var log = Path.Combine(Temp.Path, "mount.log");

        var expected = ReferenceInodes.Of(files);
        Assert.Equal(0x1000UL, expected["a.b"]);
        Assert.Equal(0x2001UL, expected["a"]);
        var listed = await WalkSiloAsync(silo.Port, "i1");
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), listed.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(listed.Count, listed.Values.Distinct().Count());

        await MountAsync("i1", mnt, socket, log);
        var first = await StatAllAsync(mnt);
        Assert.Equal(listed.OrderBy(kv => kv.Key, StringComparer.Ordinal), first.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        await UnmountAsync(mnt);
        await MountAsync("i1", mnt, socket, log);
        Assert.Equal(first.OrderBy(kv => kv.Key, StringComparer.Ordinal), (await StatAllAsync(mnt)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        await UnmountAsync(mnt);

        // Another silo, with an empty cache and metadata store, numbers the snapshot the same way.
        await silo.StopAsync();
        await StartSiloAsync(catalog, Temp.Sub("cache-2"), socket);
        await MountAsync("i1", mnt, socket, log);
        Assert.Equal(first.OrderBy(kv => kv.Key, StringComparer.Ordinal), (await StatAllAsync(mnt)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        await UnmountAsync(mnt);
    }

    /// <summary>`stat -c '%i %n'` of the mount root and everything below it, by path relative to the root ("" for the root).</summary>
    private static async Task<Dictionary<string, ulong>> StatAllAsync(string mnt)
    {
        var result = await ProcessRunner.RunAsync("find", [mnt, "-exec", "stat", "-c", "%i %n", "{}", "+"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var inos = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var path = Path.GetRelativePath(mnt, line[(space + 1)..]);
            inos.Add(path == "." ? "" : path, ulong.Parse(line[..space], CultureInfo.InvariantCulture));
        }

        return inos;
    }

    /// <summary>
    /// Every file and directory as the silo's listing API numbers it (root 1). Each directory is also listed compact (what
    /// mounts ask for): the same items without identity, and without the address exactly when it is the source plus the path.
    /// </summary>
    private static async Task<Dictionary<string, ulong>> WalkSiloAsync(int port, string snapshot)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        using var record = JsonDocument.Parse(await http.GetStringAsync($"api/v1/snapshots/{snapshot}"));
        var source = record.RootElement.GetProperty("source").GetString()!;
        var inos = new Dictionary<string, ulong>(StringComparer.Ordinal) { [""] = InodeNumbers.Root };
        var pending = new Stack<string>([""]);
        while (pending.TryPop(out var directory))
        {
            using var listing = JsonDocument.Parse(await http.GetStringAsync($"api/v1/snapshots/{snapshot}/list?path={Uri.EscapeDataString(directory)}"));
            using var compact = JsonDocument.Parse(await http.GetStringAsync($"api/v1/snapshots/{snapshot}/list?path={Uri.EscapeDataString(directory)}&compact=true"));
            var compactItems = compact.RootElement.GetProperty("items").EnumerateArray().ToList();

            // The binary form (what mounts ask for) carries exactly what the JSON does, compact or not.
            foreach (var (json, query) in new[] { (listing, ""), (compact, "&compact=true") })
            {
                using var binary = await http.GetAsync($"api/v1/snapshots/{snapshot}/list?path={Uri.EscapeDataString(directory)}{query}&format=binary");
                Assert.Equal(ListingCodec.ContentType, binary.Content.Headers.ContentType?.MediaType);
                var decoded = ListingCodec.Decode(await binary.Content.ReadAsByteArrayAsync());
                var parsed = json.RootElement.Deserialize<DirectoryListing>(JsonSerializerOptions.Web)!;
                Assert.Equal((parsed.SnapshotId, parsed.Path, parsed.Next), (decoded.SnapshotId, decoded.Path, decoded.Next));
                Assert.Equal(parsed.Items, decoded.Items);
            }

            Assert.Equal(listing.RootElement.GetProperty("items").GetArrayLength(), compactItems.Count);
            foreach (var (item, small) in listing.RootElement.GetProperty("items").EnumerateArray().Zip(compactItems))
            {
                var path = PathRules.Join(directory, item.GetProperty("name").GetString()!);
                Assert.Equal(item.GetProperty("name").GetString(), small.GetProperty("name").GetString());
                foreach (var field in new[] { "dir", "size", "mtimeNs", "ino" })
                {
                    Assert.Equal(item.GetProperty(field).GetRawText(), small.GetProperty(field).GetRawText());
                }

                Assert.False(small.TryGetProperty("identity", out _), path);
                if (!item.GetProperty("dir").GetBoolean())
                {
                    Assert.Equal(item.GetProperty("eTag").GetString(), small.GetProperty("eTag").GetString());
                    var address = item.GetProperty("address").GetString();
                    Assert.Equal(address == source + path, !small.TryGetProperty("address", out var kept));
                    if (address != source + path)
                    {
                        Assert.Equal(address, kept.GetString());
                    }
                }

                inos.Add(path, item.GetProperty("ino").GetUInt64());
                if (item.GetProperty("dir").GetBoolean())
                {
                    pending.Push(path);
                }
            }
        }

        return inos;
    }
}
