using OrleansMount.Native.Fuse;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Mount;

/// <summary>A mount process killed with -9 leaves a stale mountpoint: reported clearly, cleared by umount, mountable again.</summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class MountCrashTests(S3rverServer s3) : NodeProcessTests(s3, "om-crash-")
{
    [Fact]
    public async Task A_killed_mount_process_leaves_a_stale_mount_that_is_explained_cleared_and_mountable_again()
    {
        var bucket = await S3.CreateUniqueBucketAsync("crs");
        var content = new byte[300_000];
        new Random(3).NextBytes(content);
        S3.SeedObject(bucket, "ds/a/file.bin", content);
        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "c"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var socket = Path.Combine(Temp.Path, "silo.sock");
        await StartSiloAsync($"s3://{bucket}/.orleansmount/", Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");
        await MountAsync("c", mnt, socket, Path.Combine(Temp.Path, "mount.log"));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(mnt, "a/file.bin")));

        // kill -9 the process serving the mount.
        var pid = ProcessProbe.MountProcessOf(mnt);
        using (var process = System.Diagnostics.Process.GetProcessById(pid))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        Assert.True(FuseMounts.IsMounted(mnt));
        Assert.True(FuseMounts.IsStale(mnt));
        Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(Path.Combine(mnt, "a/file.bin")));

        // Mounting again over it says what happened and what to do.
        var again = await ProcessRunner.RunAsync(RepoPaths.Cli, ["mount", "c", mnt, "--silo", socket], Env);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("stale mount", again.StandardError, StringComparison.Ordinal);
        Assert.Contains($"orleansmount umount {mnt}", again.StandardError, StringComparison.Ordinal);

        // umount (no flags) clears it; the mountpoint is an empty directory again and mounts.
        var umount = await ProcessRunner.RunAsync(RepoPaths.Cli, ["umount", mnt]);
        Assert.True(umount.ExitCode == 0, umount.ToString());
        Assert.Contains("stale", umount.StandardOutput, StringComparison.Ordinal);
        Assert.False(FuseMounts.IsMounted(mnt));
        Assert.Empty(Directory.EnumerateFileSystemEntries(mnt));
        await MountAsync("c", mnt, socket, Path.Combine(Temp.Path, "mount2.log"));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(mnt, "a/file.bin")));
        await UnmountAsync(mnt);
        Assert.False(FuseMounts.IsMounted(mnt));
    }
}
