using System.Security.Cryptography;
using System.Text;
using OrleansMount.Native.Fuse;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;
using OrleansMount.Tests.Snapshots;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// End to end on one node, all real: s3rver, the CLI's import, an orleansmount-silo process and a
/// kernel FUSE mount made by `orleansmount mount`. Every file is compared byte for byte with its source.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class MountTests(S3rverServer s3) : NodeProcessTests(s3, "om-mount-")
{
    [Fact]
    public async Task A_mounted_snapshot_reads_like_its_source_survives_restarts_and_refuses_writes()
    {
        var bucket = await S3.CreateUniqueBucketAsync("mnt");
        var tree = TestTrees.Awkward(300, seed: 7);
        var random = new Random(1);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        tree["big/hundred.bin"] = Bytes(100 * MiB);
        tree["sizes/exactly-one-chunk.bin"] = Bytes(4 * MiB);
        tree["sizes/one-chunk-plus-one.bin"] = Bytes((4 * MiB) + 1);
        tree["sizes/empty"] = [];
        tree["later/uncached.bin"] = Bytes(100_000);
        tree["later/victim.bin"] = Bytes(300_000);
        foreach (var (key, content) in tree)
        {
            S3.SeedObject(bucket, "ds/" + key, content);
        }

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "m1"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var catalog = $"s3://{bucket}/.orleansmount/";
        var cache = Temp.Sub("cache");
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, cache, socket);
        var mnt = Temp.Sub("mnt");
        var log = Path.Combine(Temp.Path, "mount.log");
        await MountAsync("m1", mnt, socket, log, "--xattrs");

        // find: the same files as the source; stat: sizes and mtimes.
        var listed = Directory.EnumerateFiles(mnt, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(mnt, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(tree.Keys.Order(StringComparer.Ordinal), listed);
        using var store = S3.CreateStore(StoreUri.S3(bucket));
        foreach (var key in tree.Keys.Take(40).Append("big/hundred.bin"))
        {
            var info = new FileInfo(Path.Combine(mnt, key));
            var head = (await store.HeadAsync("ds/" + key))!;
            Assert.Equal(tree[key].Length, info.Length);
            Assert.Equal(head.LastModified.UtcDateTime, info.LastWriteTimeUtc, TimeSpan.FromSeconds(1));
        }

        // Every byte, by 8 concurrent readers (the two "later/" files stay unread for now).
        var firstRead = tree.Keys.Where(k => !k.StartsWith("later/", StringComparison.Ordinal)).ToList();
        await Parallel.ForEachAsync(firstRead, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key), ct);
            Assert.True(tree[key].AsSpan().SequenceEqual(read), $"content of {key} differs");
        });

        // Random offsets and sizes, across chunk boundaries and at or past the end.
        using (var handle = File.OpenHandle(Path.Combine(mnt, "big/hundred.bin")))
        {
            var source = tree["big/hundred.bin"];
            var buffer = new byte[3 * MiB];
            for (var i = 0; i < 200; i++)
            {
                long offset = i switch { 0 => source.Length, 1 => source.Length - 1, 2 => (4L * MiB) - 5, _ => random.NextInt64(source.Length + 10) };
                var size = random.Next(1, buffer.Length);
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, size), offset);
                var expected = (int)Math.Clamp(source.Length - offset, 0, size);
                Assert.Equal(expected, read);
                Assert.True(source.AsSpan((int)Math.Min(offset, source.Length), expected).SequenceEqual(buffer.AsSpan(0, read)), $"bytes at {offset}+{size}");
            }
        }

        // Read-only: creating, writing and deleting fail with EROFS.
        var create = Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(mnt, "new.txt"), "x"));
        Assert.Contains("Read-only", create.Message, StringComparison.OrdinalIgnoreCase);
        Assert.ThrowsAny<IOException>(() => File.OpenWrite(Path.Combine(mnt, "sizes/empty")).Dispose());
        Assert.ThrowsAny<IOException>(() => File.Delete(Path.Combine(mnt, "sizes/empty")));
        Assert.Equal(ExpectedIdentity(bucket, "ds/big/hundred.bin", tree["big/hundred.bin"]), GetXattr(Path.Combine(mnt, "big/hundred.bin"), "user.orleansmount.identity"));

        // The mount talks to its silo only: the object-store SDK (which `import` uses) is never loaded into it.
        var mapped = File.ReadAllText($"/proc/{ProcessProbe.MountProcessOf(mnt)}/maps");
        Assert.Contains("OrleansMount.Storage.dll", mapped, StringComparison.Ordinal);
        Assert.DoesNotContain("AWSSDK", mapped, StringComparison.Ordinal);

        var filled = await FillsStoredAsync(silo);
        Assert.Equal(firstRead.Sum(k => (long)tree[k].Length), filled.ObjectStoreBytes); // each byte fetched once

        // The silo goes down: reads of uncached data fail with EIO; it comes back and the mount recovers.
        await silo.StopAsync();
        var down = Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(Path.Combine(mnt, "later/uncached.bin")));
        Assert.Contains("Input/output error", down.Message, StringComparison.Ordinal);
        silo = await StartSiloAsync(catalog, cache, socket);

        // A restarted silo serves what it had cached without reading the object store again.
        await UnmountAsync(mnt);
        await MountAsync("m1", mnt, socket, log);
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
        foreach (var key in firstRead)
        {
            var again = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(again), $"content of {key} after restart");
        }

        Assert.Equal(0, (await silo.StatsAsync()).ObjectStoreGets);

        // Without --xattrs the mount answers ENOSYS once; the kernel then answers every getxattr itself (EOPNOTSUPP).
        Assert.Equal(95, Fuse.LibC.GetXattrErrno(Path.Combine(mnt, "big/hundred.bin"), "user.orleansmount.identity"));
        Assert.Equal(95, Fuse.LibC.GetXattrErrno(Path.Combine(mnt, "big/hundred.bin"), "security.selinux"));
        var status = await ProcessRunner.RunAsync(RepoPaths.Cli, ["status", "--silo", socket], Env);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches(@"object store 0 GETs", status.StandardOutput);
        Assert.Contains($"{filled.Chunks} chunks", status.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(tree["later/uncached.bin"], await File.ReadAllBytesAsync(Path.Combine(mnt, "later/uncached.bin")));

        // An object changed in the bucket after import: EIO and a log line naming it, never the new bytes.
        S3.SeedObject(bucket, "ds/later/victim.bin", Encoding.UTF8.GetBytes("different content now"));
        var changed = Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(Path.Combine(mnt, "later/victim.bin")));
        Assert.Contains("Input/output error", changed.Message, StringComparison.Ordinal);
        await WaitForAsync(() => File.ReadAllText(log).Contains("later/victim.bin", StringComparison.Ordinal), "the mount to log the changed object");
        await WaitForAsync(() => silo.Log.Contains("changed after import", StringComparison.Ordinal), "the silo to log the changed object:\n" + silo.Log);

        await UnmountAsync(mnt);
    }

    [Fact]
    public async Task Mount_and_umount_cycles_leave_nothing_behind_and_bad_input_is_explained()
    {
        var bucket = await S3.CreateUniqueBucketAsync("mnt");
        S3.SeedObject(bucket, "ds/sub/a.txt", "hello"u8);
        S3.SeedObject(bucket, "ds/b.txt", "world"u8);
        Assert.Equal(0, (await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "c1"], Env)).ExitCode);
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync($"s3://{bucket}/.orleansmount/", Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");

        // The silo serves only objects of the snapshot a request names, never other files or buckets.
        var id = (await silo.StatsAsync()).SiloId;
        Assert.NotEmpty(id);
        var snapshotId = System.Text.Json.JsonDocument.Parse(await new HttpClient().GetStringAsync($"http://127.0.0.1:{silo.Port}/api/v1/snapshots/c1")).RootElement.GetProperty("id").GetString()!;
        foreach (var address in new[] { "file:///etc/hostname", $"s3://{bucket}/other", $"s3://{bucket}/ds/../x" })
        {
            using var refused = await silo.PostJsonAsync("api/v1/chunks/data", new Grains.Chunks.ChunkRequest(address, "e", 5, 0, 4 * MiB, "c1", snapshotId));
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            await MountAsync("c1", mnt, socket, Path.Combine(Temp.Path, "mount.log"));
            Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(mnt, "sub/a.txt")));
            await UnmountAsync(mnt);
            Assert.False(FuseMounts.IsMounted(mnt));
        }

        // --path mounts a sub-directory.
        await MountAsync("c1", mnt, socket, Path.Combine(Temp.Path, "mount.log"), "--path", "sub");
        Assert.Equal(["a.txt"], Directory.GetFiles(mnt).Select(Path.GetFileName));
        var busy = await ProcessRunner.RunAsync(RepoPaths.Cli, ["mount", "c1", mnt, "--silo", socket], Env);
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains("already mounted", busy.StandardError, StringComparison.Ordinal);
        await UnmountAsync(mnt);

        await ExpectFailure(["mount", "nope", mnt, "--silo", socket], "unknown snapshot 'nope'");
        await ExpectFailure(["mount", "c1", Path.Combine(Temp.Path, "missing"), "--silo", socket], "does not exist");
        await ExpectFailure(["mount", "c1", mnt, "--silo", Path.Combine(Temp.Path, "no.sock")], "cannot reach the silo");
        await ExpectFailure(["mount", "c1", mnt, "--silo", socket, "--path", "nosuchdir"], "not a directory");
        await ExpectFailure(["umount", mnt], "not mounted");
        Assert.False(FuseMounts.IsMounted(mnt));
        var leftovers = await ProcessRunner.RunAsync("pgrep", ["-f", $"orleansmount mount .* {mnt}"]);
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, "mount processes left behind: " + leftovers.StandardOutput);
    }

    [Fact]
    public async Task Files_over_2_GiB_from_a_file_source_read_right_at_any_offset()
    {
        // A sparse 2 GiB + 3 MiB file with marked regions around the 2 GiB boundary: big, yet cheap to make.
        var data = Temp.Sub("data");
        var big = Path.Combine(data, "shard", "big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        const long Size = (2L << 30) + (3 * MiB);
        var random = new Random(3);
        var marks = new[] { 0L, (2L << 30) - (5 * MiB), (2L << 30) - 100, Size - MiB };
        using (var file = File.OpenHandle(big, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(file, Size);
            foreach (var mark in marks)
            {
                var bytes = new byte[MiB];
                random.NextBytes(bytes);
                RandomAccess.Write(file, bytes.AsSpan(0, (int)Math.Min(MiB, Size - mark)), mark);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(data, "small.txt"), "small");
        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"file://{data}", "--snapshot", "big"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var socket = Path.Combine(Temp.Path, "silo.sock");
        await StartSiloAsync($"file://{data}/.orleansmount/", Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");
        await MountAsync("big", mnt, socket, Path.Combine(Temp.Path, "mount.log"));

        Assert.Equal(Size, new FileInfo(Path.Combine(mnt, "shard/big.bin")).Length);
        Assert.Equal("small", await File.ReadAllTextAsync(Path.Combine(mnt, "small.txt")));
        Assert.False(Directory.Exists(Path.Combine(mnt, ".orleansmount")), "the catalog is not part of the snapshot");
        using (var source = File.OpenHandle(big))
        using (var mounted = File.OpenHandle(Path.Combine(mnt, "shard/big.bin")))
        {
            var expected = new byte[3 * MiB];
            var actual = new byte[3 * MiB];
            foreach (var offset in marks.Concat([(2L << 30) - 1, 2L << 30, Size - 1, Size, Size + 10]).Concat(Enumerable.Range(0, 20).Select(_ => random.NextInt64((2L << 30) - MiB, Size))))
            {
                var length = random.Next(1, expected.Length);
                var want = RandomAccess.Read(source, expected.AsSpan(0, length), offset);
                var got = RandomAccess.Read(mounted, actual.AsSpan(0, length), offset);
                Assert.Equal(want, got);
                Assert.True(expected.AsSpan(0, want).SequenceEqual(actual.AsSpan(0, got)), $"bytes at {offset}+{length}");
            }
        }

        await UnmountAsync(mnt);
    }

    private async Task ExpectFailure(string[] args, string message)
    {
        var result = await ProcessRunner.RunAsync(RepoPaths.Cli, args, Env);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
    }

    private static string ExpectedIdentity(string bucket, string key, byte[] content) =>
        OrleansMount.Core.ObjectIdentity.Compute($"s3://{bucket}/{key}", Convert.ToHexStringLower(MD5.HashData(content)), content.Length).ToString();

    private static string GetXattr(string path, string name) => Encoding.UTF8.GetString(Fuse.LibC.GetXattr(path, name));
}
