using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>
/// Real kernel mounts (root + /dev/fuse, as in CI): the binding end to end with an in-memory file system.
/// Serialized so that mounts and the loop threads do not compete with each other.
/// </summary>
[Collection(FuseCollection.Name)]
[KernelTest]
public sealed class FuseMountTests
{
    // No "ro": the binding's own EROFS answers must be what stops writes, not the VFS.
    private const string Options = "default_permissions,fsname=orleansmount-test,subtype=orleansmount";

    [Fact]
    public void Lists_directories()
    {
        using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);

        Assert.Equal(["big.bin", "hello.txt", "sub"], Names(mount.Path));
        Assert.Equal(["nested.txt", "slow.txt", "throws.txt"], Names(mount["sub"]));
        Assert.Equal(0, mount.Stop());
        Assert.Empty(mount.Errors);
    }

    [Fact]
    public void Reads_small_large_async_and_offset_content()
    {
        var fs = new InMemoryFuseFileSystem();
        using var mount = new MountedFileSystem(fs, Options);

        Assert.Equal(InMemoryFuseFileSystem.Hello, File.ReadAllBytes(mount["hello.txt"]));
        Assert.Equal(InMemoryFuseFileSystem.Nested, File.ReadAllBytes(mount["sub/nested.txt"]));
        Assert.Equal(InMemoryFuseFileSystem.Slow, File.ReadAllBytes(mount["sub/slow.txt"]));

        var readsBefore = fs.ReadRequests;
        Assert.Equal(InMemoryFuseFileSystem.Big, File.ReadAllBytes(mount["big.bin"]));
        Assert.True(fs.ReadRequests - readsBefore >= 3, $"300 KiB should take several read requests (kernel max 128 KiB), saw {fs.ReadRequests - readsBefore}");

        using (var stream = new FileStream(mount["big.bin"], FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            stream.Seek(200_001, SeekOrigin.Begin);
            var buffer = new byte[5000];
            stream.ReadExactly(buffer);
            Assert.Equal(InMemoryFuseFileSystem.Big.AsSpan(200_001, 5000).ToArray(), buffer);
        }

        Assert.Equal(0, mount.Stop());
        Assert.Empty(mount.Errors);
    }

    [Fact]
    public void Stat_reports_size_mtime_and_mode()
    {
        using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);

        var file = new FileInfo(mount["big.bin"]);
        Assert.Equal(InMemoryFuseFileSystem.Big.Length, file.Length);
        Assert.Equal(InMemoryFuseFileSystem.MTime.UtcDateTime, file.LastWriteTimeUtc);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, file.UnixFileMode);
        var dir = new DirectoryInfo(mount["sub"]);
        Assert.True(dir.Exists);
        Assert.True(dir.Attributes.HasFlag(FileAttributes.Directory));
        Assert.False(File.Exists(mount["missing"]));
        Assert.Equal(0, mount.Stop());
    }

    [Fact]
    public void Writes_fail_with_erofs()
    {
        using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);

        AssertReadOnly(Assert.ThrowsAny<IOException>(() => File.WriteAllText(mount["new.txt"], "x")));
        AssertReadOnly(Assert.ThrowsAny<IOException>(() => File.OpenWrite(mount["hello.txt"]).Dispose()));
        AssertReadOnly(Assert.ThrowsAny<IOException>(() => Directory.CreateDirectory(mount["newdir"])));
        AssertReadOnly(Assert.ThrowsAny<IOException>(() => File.Delete(mount["hello.txt"])));
        Assert.Equal(InMemoryFuseFileSystem.Hello, File.ReadAllBytes(mount["hello.txt"]));
        Assert.Equal(0, mount.Stop());
    }

    [Fact]
    public void Xattr_and_statfs_are_served()
    {
        using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);

        Assert.Equal(InMemoryFuseFileSystem.XattrValue, LibC.GetXattr(mount["hello.txt"], "user.test"));
        Assert.Equal(FuseErrno.ENODATA, LibC.GetXattrErrno(mount["hello.txt"], "user.other"));
        var vfs = LibC.StatVfs(mount.Path);
        Assert.Equal((4096UL, 1000UL, 250UL, 200UL, 100UL, 255UL), vfs);
        Assert.Equal(0, mount.Stop());
    }

    [Fact]
    public void Handler_exceptions_become_eio_and_reach_the_error_hook_without_a_second_reply()
    {
        using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);

        var ex = Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(mount["sub/throws.txt"]));
        Assert.True(ex.HResult == FuseErrno.EIO || ex.Message.Contains("Input/output error", StringComparison.Ordinal), $"expected EIO, got {ex.HResult}: {ex.Message}");

        // The handler answered, then threw: the answer stands and no EIO is sent on top of it.
        Assert.Equal(0, LibC.GetXattrErrno(mount["hello.txt"], "user.reply-then-throw"));
        Assert.Equal(0, mount.Stop());

        var messages = mount.Errors.Select(e => e.Message).ToList();
        Assert.Contains("read handler failed on purpose", messages);
        Assert.Contains("thrown after replying, on purpose", messages);
        Assert.DoesNotContain(messages, m => m.Contains("answered twice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exit_with_a_file_still_open_aborts_the_connection_instead_of_hanging()
    {
        using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);
        using var stream = new FileStream(mount["big.bin"], FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        Assert.Equal(InMemoryFuseFileSystem.Big[0], stream.ReadByte());

        Assert.Equal(0, mount.Stop());

        // Past the readahead window, so the page cache cannot answer; served by nobody now: without the
        // abort this read would block in the kernel forever (and the process could never exit).
        stream.Seek(InMemoryFuseFileSystem.Big.Length - 4096, SeekOrigin.Begin);
        var read = Task.Run(() => stream.Read(new byte[4096], 0, 4096));
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))));
        await Assert.ThrowsAnyAsync<IOException>(() => read);
        Assert.False(FuseMounts.IsMounted(mount.Path));
    }

    [Fact]
    public void Unmount_leaves_no_mount_and_the_loop_returns()
    {
        var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), Options);
        Assert.True(FuseMounts.IsMounted(mount.Path));
        _ = Names(mount.Path);

        Assert.Equal(0, mount.Stop());

        Assert.False(FuseMounts.IsMounted(mount.Path));
        mount.Dispose();
        mount.Session.Dispose(); // idempotent
    }

    [Fact]
    public void Five_mount_cycles_leave_nothing_behind()
    {
        var paths = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var mount = new MountedFileSystem(new InMemoryFuseFileSystem(), "ro,allow_other," + Options);
            paths.Add(mount.Path);
            Assert.Equal(InMemoryFuseFileSystem.Hello, File.ReadAllBytes(mount["hello.txt"]));
            Assert.Equal(0, mount.Stop());
            Assert.False(FuseMounts.IsMounted(mount.Path));
        }

        var mountInfo = File.ReadAllText("/proc/self/mountinfo");
        Assert.All(paths, p => Assert.DoesNotContain(p, mountInfo, StringComparison.Ordinal));
    }

    private static string[] Names(string dir)
        => [.. Directory.GetFileSystemEntries(dir).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];

    private static void AssertReadOnly(IOException ex)
        => Assert.True(ex.HResult == FuseErrno.EROFS || ex.Message.Contains("Read-only file system", StringComparison.Ordinal), $"expected EROFS, got HResult {ex.HResult}: {ex.Message}");
}
