using OrleansMount.Client.Mount;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// The mount's check of whether it can read the silo's chunk files itself (issue 17), without a kernel. Unreadable
/// directories need a process without root's override capabilities: MountChunkAccessTests covers those.
/// </summary>
[UnitTest]
public sealed class LocalChunkAccessTests : IDisposable
{
    private readonly TempDirectory _temp = new("om-access-unit-");

    [Fact]
    public void A_cache_with_readable_chunk_files_is_available()
    {
        var chunks = _temp.Sub("cache/chunks/00");
        File.WriteAllText(Path.Combine(chunks, "x.chunk"), "x");
        Assert.Equal(new LocalChunkAccess(Path.Combine(_temp.Path, "cache", "chunks"), true, null), LocalChunkAccess.Probe(Path.Combine(_temp.Path, "cache")));

        // An empty cache (no chunk file yet) passes on its directories.
        _temp.Sub("empty/chunks/00");
        Assert.True(LocalChunkAccess.Probe(Path.Combine(_temp.Path, "empty")).Available);
    }

    [Fact]
    public void A_missing_directory_or_a_file_in_its_place_is_not_available_and_says_why()
    {
        var missing = LocalChunkAccess.Probe(Path.Combine(_temp.Path, "nowhere"));
        Assert.False(missing.Available);
        Assert.Equal(Path.Combine(_temp.Path, "nowhere", "chunks"), missing.Directory);
        Assert.Equal("the directory does not exist in this process's file system", missing.Problem);

        var noChunks = LocalChunkAccess.Probe(_temp.Sub("bare"));
        Assert.False(noChunks.Available);
        Assert.Equal("the cache directory has no chunks/ directory here", noChunks.Problem);

        _temp.Sub("file");
        File.WriteAllText(Path.Combine(_temp.Path, "file", "chunks"), "not a directory");
        Assert.False(LocalChunkAccess.Probe(Path.Combine(_temp.Path, "file")).Available);
    }

    [Fact]
    public void The_silo_words_the_warning_with_the_mountpoint_the_path_tried_and_what_to_do()
    {
        var slow = new MountRegistration("/mnt/x", "demo", "id", false, "/var/cache/orleansmount/chunks", "the directory does not exist in this process's file system", 7);
        Assert.Equal(
            "mount /mnt/x: chunk files not readable at /var/cache/orleansmount/chunks (the directory does not exist in this process's file system), every read goes through the silo; mount the silo's cache directory into the mount's container at /var/cache/orleansmount, read-only",
            MountStatus.WarningFor(slow));
        Assert.Null(MountStatus.WarningFor(slow with { LocalChunks = true, Problem = null }));
    }

    public void Dispose() => _temp.Dispose();
}
