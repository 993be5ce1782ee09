using System.Text;
using OrleansMount.Client.Mount;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// Issue 20 on a real kernel mount: a flat directory of 200,000 files (a file:// source, so listing the bucket is
/// cheap) is walked with readdir, readdirplus and stat, and the mount's memory must not grow with what it served
/// beyond the inodes the kernel holds; names at listing-page boundaries and names with awkward bytes are found by
/// lookup alone.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class MountScaleTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-scale-")
{
    private const int Files = 200_000;

    /// <summary>
    /// What the walk may add to the mount's resident memory per file. The inode table holds ~88 B per file the
    /// kernel references (a 48-byte record, the name, two indexes: decision 0023); the rest is GC headroom (the
    /// mount runs with a 4 MiB gen0 budget, which the CLI sets for it) and fixed costs of the walk (libfuse's
    /// threads, readdir replies' pooled buffers, sized to each reply): +152 to +201 B/file measured here, median 166
    /// of six runs (+188 to +215, median 195, with 64-byte records and buffers of the kernel's 1 MiB request). With the recent lookups still kept as a dictionary
    /// of listing items (the GC promoted and dropped them) it measured +394 B/file, and a mount that kept whole
    /// listings with their attributes (before issue 20) +730 B/file.
    /// </summary>
    private const int MaxWalkBytesPerFile = 300;

    private static readonly string[] AwkwardNames =
    [
        "sp ace", "tab\tname", "new\nline", "quote\"s", "back\\slash", "pct%41", "é", "日本語", "emoji 🙂", "#hash", "-lead",
        "a.b", "a b", "a0", "~tilde", "semi;colon", "star*", "q?mark", "[br]", "{cu}", "'apos'", "`tick`", "$dollar", "!bang",
        "\u0001ctl", "\u001fus", "del\u007f", "trail ", " lead", "..dots", "...", new string('x', 255), "ünïcödé-" + new string('ß', 100),
    ];

    [Fact]
    public async Task A_flat_directory_of_200000_files_is_paged_looked_up_by_name_and_costs_the_mount_little_memory()
    {
        var data = Temp.Sub("data");
        var flat = Directory.CreateDirectory(Path.Combine(data, "flat")).FullName;
        for (var i = 0; i < Files; i++)
        {
            File.Create(Path.Combine(flat, Name(i))).Dispose();
        }

        var odd = Directory.CreateDirectory(Path.Combine(data, "odd")).FullName;
        foreach (var name in AwkwardNames)
        {
            await File.WriteAllTextAsync(Path.Combine(odd, name), name);
        }

        Directory.CreateDirectory(Path.Combine(odd, "a")); // a directory sorting as "a/": between "a.b" and "a0"
        await File.WriteAllTextAsync(Path.Combine(odd, "a", "inner"), "inner");

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"file://{data}", "--snapshot", "scale"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());

        var socket = Path.Combine(Temp.Path, "silo.sock");
        await StartSiloAsync($"file://{data}/.orleansmount/", Temp.Sub("cache"), socket);

        // Lookups first, on a fresh mount: names at page boundaries and awkward names, each found by a window of the
        // listing from the name (decision 0037), the awkward ones' bytes in the cursor.
        var mnt = Temp.Sub("mnt");
        await MountAsync("scale", mnt, socket, Path.Combine(Temp.Path, "mount.log"), "--no-metadata-prefetch");
        foreach (var i in new[] { 0, 1, SnapshotFileSystem.ListingPageSize - 1, SnapshotFileSystem.ListingPageSize, SnapshotFileSystem.ListingPageSize + 1, (2 * SnapshotFileSystem.ListingPageSize) - 1, Files - 1 })
        {
            Assert.True(File.Exists(Path.Combine(mnt, "flat", Name(i))), $"lookup of {Name(i)}");
        }

        Assert.False(File.Exists(Path.Combine(mnt, "flat", Name(Files))));
        foreach (var name in AwkwardNames)
        {
            Assert.Equal(name, await File.ReadAllTextAsync(Path.Combine(mnt, "odd", name)));
        }

        Assert.Equal("inner", await File.ReadAllTextAsync(Path.Combine(mnt, "odd", "a", "inner")));
        Assert.Equal(
            [.. AwkwardNames.Append("a").Order(StringComparer.Ordinal)],
            Directory.EnumerateFileSystemEntries(Path.Combine(mnt, "odd")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The walk: readdir, readdirplus and stat of every file. The kernel then holds a reference to each. The listing
        // is names only (decision 0031), so `ls -l` looks up every file, long after the listing left the mount's table.
        var pid = ProcessProbe.MountProcessOf(mnt);
        Assert.Contains("DOTNET_GCgen0size=0x400000", ProcessProbe.EnvironmentOf(pid)); // set by the CLI (decision 0023)
        var before = ProcessProbe.ResidentBytes(pid);
        var listed = Directory.EnumerateFiles(Path.Combine(mnt, "flat")).Select(Path.GetFileName).ToList();
        Assert.Equal(Files, listed.Count);
        Assert.Equal(Enumerable.Range(0, Files).Select(Name), listed.Order(StringComparer.Ordinal));
        var ls = await ProcessRunner.RunAsync("ls", ["-l", Path.Combine(mnt, "flat")]);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal(Files + 1, ls.StandardOutput.Count(c => c == '\n')); // "total" and one line per file
        foreach (var i in Enumerable.Range(0, 500).Select(i => i * (Files / 500)))
        {
            Assert.Equal(0, new FileInfo(Path.Combine(mnt, "flat", Name(i))).Length);
        }

        var grown = ProcessProbe.ResidentBytes(pid) - before;
        output.WriteLine($"mount RSS {before / (1 << 20)} MiB before the walk, +{grown / (double)Files:F0} B/file after it");
        Assert.True(grown < (long)MaxWalkBytesPerFile * Files, $"the walk of {Files:N0} files grew the mount by {grown / (double)Files:F0} B/file, more than {MaxWalkBytesPerFile}");

        // `ls -l` stats as it reads: its first lookups switched listings to attributes, and the kernel was told to drop
        // the names-only copy it was reading, so the rest came with attributes; the lookups before that asked the silo
        // for windows of the listing, a request per hundreds of names, not one per name.
        await UnmountAsync(mnt);
        var log = await File.ReadAllTextAsync(Path.Combine(Temp.Path, "mount.log"));
        var counts = System.Text.RegularExpressions.Regex.Match(log, @"(\d+) lookups; .* (\d+) while read, (\d+) lookup windows asked and (\d+) fetched ahead");
        Assert.True(counts.Success, log);
        var (lookups, invalidated, windows, ahead) = (long.Parse(counts.Groups[1].Value), long.Parse(counts.Groups[2].Value), long.Parse(counts.Groups[3].Value), long.Parse(counts.Groups[4].Value));
        output.WriteLine($"{lookups:N0} lookups, {invalidated} listings dropped while read, {windows:N0} windows asked, {ahead:N0} fetched ahead");
        Assert.True(invalidated >= 1, $"the names-only listing was not dropped while `ls -l` read it ({lookups:N0} lookups)");
        Assert.True(lookups < Files / 2, $"{lookups:N0} lookups for `ls -l` of {Files:N0} files: the listing should have come with attributes");
        Assert.True(windows + ahead < Math.Max(4, lookups / 100), $"{windows} windows asked and {ahead} fetched ahead for {lookups:N0} lookups");
    }

    private static string Name(int i) => $"sample_{i:D7}.jpg";
}
