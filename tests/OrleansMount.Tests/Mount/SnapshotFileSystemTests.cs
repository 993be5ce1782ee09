using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Native.Fuse;
using OrleansMount.Tests.Fuse;
using OrleansMount.Tests.Snapshots;

namespace OrleansMount.Tests.Mount;

/// <summary>The file-system logic without a kernel: a fake silo behind it, a recording reply sink in front.</summary>
[UnitTest]
public sealed class SnapshotFileSystemTests
{
    private const int ChunkSize = 8;
    private readonly FakeBackend _backend = new();
    private readonly RecordingReplySink _sink = new();
    private readonly SnapshotFileSystem _fs;
    private readonly Dictionary<string, ulong> _inos = ReferenceInodes.Of(["data.bin", "sub/a.txt"]);
    private nint _next = 1;

    public SnapshotFileSystemTests()
    {
        // Numbered like the silo numbers a snapshot of these two files (SnapshotInodeTests checks the two agree).
        _backend.Add("", new ListingItem("data.bin", false, 20, 1_000_000_000, "etag1", Identity("s3://b/data.bin", "etag1", 20), "s3://b/data.bin", _inos["data.bin"]));
        _backend.Add("", new ListingItem("sub", true, 0, 0, null, null, null, _inos["sub"]));
        _backend.Add("sub", new ListingItem("a.txt", false, 3, 2_000_000_000, "etag2", Identity("s3://b/sub/a.txt", "etag2", 3), "s3://b/sub/a.txt", _inos["sub/a.txt"]));
        _backend.Data["s3://b/data.bin"] = Encoding.ASCII.GetBytes("0123456789abcdefghij");
        _backend.Data["s3://b/sub/a.txt"] = Encoding.ASCII.GetBytes("xyz");
        _fs = new SnapshotFileSystem(_backend, new MountOptions { SnapshotName = "s", SourceAddress = "s3://b/", Uid = 7, Gid = 8, ExtendedAttributes = true }, NullLogger.Instance, DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task Lookup_hands_out_the_silos_inode_and_forget_takes_it_back()
    {
        var entry = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "data.bin"))).Value!;
        Assert.Equal(1UL << 12, entry.Ino); // the first file in key order: ordinal 0
        Assert.Equal(20, entry.Attr.Size);
        Assert.Equal(FuseFileMode.RegularFile | Convert.ToUInt32("444", 8), entry.Attr.Mode);
        Assert.Equal((7u, 8u), (entry.Attr.Uid, entry.Attr.Gid));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1), entry.Attr.MTime);
        Assert.True(entry.EntryTimeout >= 3600);

        Assert.Equal("attr", (await Call(r => _fs.GetAttr(r, entry.Ino))).Kind);
        _fs.Forget(entry.Ino, 1);
        Assert.Equal(FuseErrno.ENOENT, (await Call(r => _fs.GetAttr(r, entry.Ino))).Value);

        var missing = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "nope"))).Value!;
        Assert.Equal(0UL, missing.Ino); // a negative entry the kernel may cache
        Assert.Equal(FuseErrno.ENOENT, (await Call(r => _fs.Lookup(r, 12345, "x"))).Value);
        // One window of the listing from each name asked, found or not (decision 0037), no point read, no page.
        Assert.Equal((0, 2), (_backend.Lookups, _backend.Windows[""]));
        Assert.False(_backend.Listings.ContainsKey(""), "a lookup listed the directory");

        // Forgotten by the kernel (drop_caches), asked again: answered from the mount's recent lookups.
        var again = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "data.bin"))).Value!;
        Assert.Equal(entry.Ino, again.Ino);
        Assert.Equal((0, 2), (_backend.Lookups, _backend.Windows[""]));
        Assert.Equal("attr", (await Call(r => _fs.GetAttr(r, entry.Ino))).Kind);
    }

    [Fact]
    public async Task A_page_whose_files_have_their_data_on_this_node_is_listed_with_attributes_in_names_only_mode()
    {
        // Decision 0033. Two directories of four files each; the first chunk of each file of "here" is in the node's
        // cache (a prefetch put it there). In "away" only f3's is: f0, the first file with bytes, has none, so "away"
        // stays names only.
        var chunks = Directory.CreateTempSubdirectory("om-datahere-").FullName;
        try
        {
            _backend.ChunkDirectory = chunks;
            _backend.Add("", new ListingItem("here", true, 0, 0, null, null, null, (700UL << 12) | 1));
            _backend.Add("", new ListingItem("away", true, 0, 0, null, null, null, (701UL << 12) | 1));
            void Files(string directory, ulong first, Func<int, bool> cached)
            {
                _backend.Add(directory, new ListingItem("empty", false, 0, 0, "e0", null, null, first << 12)); // no bytes: not looked at
                for (var i = 0; i < 4; i++)
                {
                    var name = $"f{i}";
                    _backend.Add(directory, new ListingItem(name, false, 100, 0, $"e{i}", null, null, (first + 1 + (ulong)i) << 12));
                    if (cached(i))
                    {
                        var path = _backend.LocalChunkPath(new ChunkId(ObjectIdentity.Compute($"s3://b/{directory}/{name}", $"e{i}", 100), 0))!;
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        File.WriteAllBytes(path, [1]);
                    }
                }
            }

            Files("here", 710, _ => true);
            Files("away", 720, i => i == SnapshotFileSystem.DataHereSample);

            async Task<List<ulong>> NodeIds(string name)
            {
                var ino = ((FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, name))).Value!).Ino;
                var fh = await OpenDir(ino);
                var ids = DirentsPlus((byte[])(await Call(r => _fs.ReadDir(r, ino, fh, 0, 1 << 16, plus: true))).Value!).Skip(2).Select(e => e.NodeId).ToList();
                await Call(r => _fs.ReleaseDir(r, ino, fh));
                return ids;
            }

            Assert.False(_fs.Listing.WithAttributes);
            Assert.Equal([710UL << 12, 711UL << 12, 712UL << 12, 713UL << 12, 714UL << 12], await NodeIds("here"));
            Assert.Equal([0UL, 0UL, 0UL, 0UL, 0UL], await NodeIds("away"));
            Assert.Equal(1, _fs.Listing.DataHere);
            Assert.False(_fs.Listing.WithAttributes); // the mode itself is unchanged

            // The files listed with attributes are opened without a lookup upcall: the kernel has their inodes.
            Assert.Equal("open", (await Call(r => _fs.Open(r, 712UL << 12, 0))).Kind);
        }
        finally
        {
            Directory.Delete(chunks, recursive: true);
        }
    }

    [Fact]
    public async Task Lookups_of_names_that_are_not_one_valid_segment_are_ENOENT_without_asking_the_silo()
    {
        foreach (var name in new[] { "..", ".", "sub/a.txt", "../data.bin", "data.bin\0", "x\0y", new string('a', 256), "" })
        {
            Assert.Equal(FuseErrno.ENOENT, (await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, name))).Value);
        }

        Assert.Equal(0, _backend.Lookups);
        Assert.False(_backend.Listings.ContainsKey(""), "a refused name caused a directory fetch");
    }

    [Fact]
    public async Task Readdirplus_counts_the_references_it_hands_out()
    {
        // Names only at first (decision 0031): a reference for the subdirectory, none for the file.
        var before = _fs.NodeCount;
        var fh = await OpenDir(SnapshotFileSystem.RootIno);
        var reply = await Call(r => _fs.ReadDir(r, SnapshotFileSystem.RootIno, fh, 0, 4096, plus: true));
        Assert.Equal("data", reply.Kind);
        Assert.Equal(before + 1, _fs.NodeCount); // sub, not data.bin, "." and ".."
        Assert.Equal([(".", 1UL), ("..", 1UL), ("data.bin", _inos["data.bin"]), ("sub", _inos["sub"])], DirentsPlus((byte[])reply.Value!).Select(e => (e.Name, e.Ino)));
        Assert.Equal([1UL, 0UL, 0UL, _inos["sub"]], DirentsPlus((byte[])reply.Value!).Select(e => e.NodeId)); // "." is the directory itself
        _fs.Forget(_inos["sub"], 1);
        Assert.Equal(before, _fs.NodeCount);

        // With attributes (stat walks follow listings): a reference for each child.
        await SwitchToAttributesAsync();
        before = _fs.NodeCount;
        fh = await OpenDir(SnapshotFileSystem.RootIno);
        reply = await Call(r => _fs.ReadDir(r, SnapshotFileSystem.RootIno, fh, 0, 4096, plus: true));
        Assert.Equal(before + 2, _fs.NodeCount); // data.bin and sub (the switch's directory was referenced already)
        Assert.Equal([1UL, 0UL, _inos["data.bin"], _inos["sub"], (900UL << 12) | 1], DirentsPlus((byte[])reply.Value!).Select(e => e.NodeId));
        _fs.Forget(_inos["sub"], 1);
        _fs.Forget(_inos["data.bin"], 1);
        _fs.Forget((900UL << 12) | 1, 1);
        Assert.Equal(before, _fs.NodeCount);
    }

    [Fact]
    public async Task Lookups_after_a_names_only_listing_switch_listings_to_attributes_and_the_kernel_drops_its_names_only_copy()
    {
        var names = AddDirectory("dir", 200, 100);

        var dir = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "dir"))).Value!;
        var fh = await OpenDir(dir.Ino);
        Assert.Equal((true, true), _sink.Opens[fh]);
        var before = _fs.NodeCount;
        await Call(r => _fs.ReadDir(r, dir.Ino, fh, 0, 1 << 20, plus: true));
        Assert.Equal(before, _fs.NodeCount); // no file handed out
        Assert.False(_fs.Listing.WithAttributes);

        // A stat walk: lookups answered from the page just listed, no silo request; the 16th switches.
        var lookups = _backend.Lookups;
        for (var i = 0; i < ListingAttributes.SwitchLookups; i++)
        {
            var entry = (FuseEntry)(await Call(r => _fs.Lookup(r, dir.Ino, names[i]))).Value!;
            Assert.Equal((ulong)(200 + i) << 12, entry.Ino);
            Assert.Equal(i, entry.Attr.Size);
            Assert.Equal(i < ListingAttributes.SwitchLookups - 1, !_fs.Listing.WithAttributes);
        }

        Assert.Equal(lookups, _backend.Lookups);
        Assert.False(_backend.Windows.ContainsKey("dir"));

        // The walk goes on over the names-only copy the kernel may still be reading: the kernel is told to drop it,
        // once, and a readdir of the handle opened names only now sends attributes.
        var invalidated = new System.Collections.Concurrent.ConcurrentQueue<ulong>();
        _fs.InvalidateDirectory = invalidated.Enqueue;
        await Call(r => _fs.Lookup(r, dir.Ino, names[ListingAttributes.SwitchLookups]));
        await Call(r => _fs.Lookup(r, dir.Ino, names[ListingAttributes.SwitchLookups + 1]));
        for (var i = 0; i < 200 && invalidated.IsEmpty; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal([dir.Ino], invalidated);
        Assert.Equal(1, _fs.Listing.Invalidated);
        var rest = DirentsPlus((byte[])(await Call(r => _fs.ReadDir(r, dir.Ino, fh, 2 + 50, 1 << 20, plus: true))).Value!);
        Assert.Equal(names[50], rest[0].Name);
        Assert.All(rest, e => Assert.Equal(e.Ino, e.NodeId));
        await Call(r => _fs.ReleaseDir(r, dir.Ino, fh));

        // Opened again: the kernel must drop its names-only copy (no keep_cache), and gets each file's attributes.
        fh = await OpenDir(dir.Ino);
        Assert.Equal((false, true), _sink.Opens[fh]);
        before = _fs.NodeCount;
        await Call(r => _fs.ReadDir(r, dir.Ino, fh, 0, 1 << 20, plus: true));
        Assert.Equal(before + 50 - ListingAttributes.SwitchLookups - 2, _fs.NodeCount); // new: those between the 18 looked up and the 50th, where the readdir above began
        fh = await OpenDir(dir.Ino);
        Assert.Equal((true, true), _sink.Opens[fh]); // its listing has attributes now
    }

    [Fact]
    public async Task A_stat_walk_long_after_a_names_only_listing_asks_growing_windows_of_it_not_a_point_read_per_name()
    {
        var count = (SnapshotFileSystem.ListingPageSize * 3) + 10;
        var names = AddDirectory("big", 100, count);

        // The first page listed names only (the page after it is fetched ahead and kept too): the third page's names
        // are not in the table, as when a walk's listings left the recent inodes long ago.
        var big = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "big"))).Value!;
        var fh = await OpenDir(big.Ino);
        await Call(r => _fs.ReadDir(r, big.Ino, fh, 0, 4096, plus: true));
        await Call(r => _fs.ReleaseDir(r, big.Ino, fh));
        for (var i = 0; i < 200 && _backend.Listings["big"] < 2; i++)
        {
            await Task.Delay(10);
        }

        var (lookups, listings) = (_backend.Lookups, _backend.Listings["big"]);
        var start = 2 * SnapshotFileSystem.ListingPageSize;
        for (var i = start; i < count; i++)
        {
            var entry = (FuseEntry)(await Call(r => _fs.Lookup(r, big.Ino, names[i]))).Value!;
            Assert.Equal((ulong)(100 + i) << 12, entry.Ino);
            Assert.Equal(i, entry.Attr.Size);
        }

        // One window asked at the first miss, then each fetched ahead at twice the size: 32, 64, ... up to a page.
        Assert.Equal(1, _backend.Windows["big"]);
        Assert.Equal(lookups, _backend.Lookups);
        var sizes = new List<int>();
        for (var (covered, size) = (LookupWindows.FirstSize, LookupWindows.FirstSize * 2); covered < count - start; covered += size, size = Math.Min(size * 2, LookupWindows.MaxSize))
        {
            sizes.Add(size);
        }

        Assert.Equal(listings + sizes.Count, _backend.Listings["big"]);
        Assert.Equal(sizes.Count, _fs.Listing.WindowsAhead);

        // A name that is not there: ENOENT, from a window (it would have come first) without a point read.
        Assert.Equal(0UL, ((FuseEntry)(await Call(r => _fs.Lookup(r, big.Ino, "f00000x"))).Value!).Ino);
        Assert.Equal(lookups, _backend.Lookups);
    }

    [Fact]
    public async Task Inode_numbers_are_the_ones_the_silo_listed_in_lookup_readdir_and_getattr()
    {
        var sub = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "sub"))).Value!;
        Assert.Equal((2UL << 12) | 1, sub.Ino); // first file below it is ordinal 1, depth 1
        Assert.Equal(sub.Ino, ((FuseAttr)(await Call(r => _fs.GetAttr(r, sub.Ino))).Value!).Ino);
        var file = (FuseEntry)(await Call(r => _fs.Lookup(r, sub.Ino, "a.txt"))).Value!;
        Assert.Equal(2UL << 12, file.Ino);

        Assert.Equal(_inos["sub/a.txt"], file.Ino);

        var fh = await OpenDir(SnapshotFileSystem.RootIno);
        var readdir = (byte[])(await Call(r => _fs.ReadDir(r, SnapshotFileSystem.RootIno, fh, 0, 4096, plus: false))).Value!;
        Assert.Equal([(".", 1UL), ("..", 1UL), ("data.bin", 1UL << 12), ("sub", sub.Ino)], Dirents(readdir));
    }

    [Fact]
    public async Task A_big_directory_is_read_a_page_at_a_time_and_readdir_resumes_at_any_offset()
    {
        var count = (SnapshotFileSystem.ListingPageSize * 2) + 345;
        var names = AddDirectory("big", 100, count);

        var big = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "big"))).Value!;
        var fh = await OpenDir(big.Ino);

        // While the kernel reads the first page, the second is fetched ahead (and only the second).
        Assert.NotEmpty((byte[])(await Call(r => _fs.ReadDir(r, big.Ino, fh, 0, 512, plus: false))).Value!);
        for (var i = 0; i < 200 && _backend.Listings["big"] < 2; i++)
        {
            await Task.Delay(10);
        }

        await Task.Delay(50);
        Assert.Equal(2, _backend.Listings["big"]);

        // The kernel's way: small buffers, each call resuming at the offset of the last entry it got.
        var seen = new List<(string Name, ulong Ino, long Offset)>();
        long offset = 0;
        while (true)
        {
            var reply = (byte[])(await Call(r => _fs.ReadDir(r, big.Ino, fh, offset, 512, plus: false))).Value!;
            if (reply.Length == 0)
            {
                break;
            }

            seen.AddRange(DirentsWithOffsets(reply));
            offset = seen[^1].Offset;
        }

        Assert.Equal([".", "..", .. names], seen.Select(e => e.Name));
        Assert.Equal(Enumerable.Range(1, count + 2).Select(i => (long)i), seen.Select(e => e.Offset));
        Assert.Equal((ulong)(100 + 1234) << 12, seen[1234 + 2].Ino);
        Assert.Equal(3, _backend.Listings["big"]); // three pages, each asked once

        // seekdir back into the first page (telldir's offset of "f00500"), then forward again.
        var back = DirentsWithOffsets((byte[])(await Call(r => _fs.ReadDir(r, big.Ino, fh, 502, 512, plus: false))).Value!);
        Assert.Equal("f00500", back[0].Name);
        var last = DirentsWithOffsets((byte[])(await Call(r => _fs.ReadDir(r, big.Ino, fh, count + 1, 512, plus: false))).Value!);
        Assert.Equal(names[^1], Assert.Single(last).Name);
        Assert.Empty((byte[])(await Call(r => _fs.ReadDir(r, big.Ino, fh, count + 2, 512, plus: false))).Value!);

        // readdirplus on a mount that lists names only hands out no reference to a file, and the kernel builds no inode.
        var before = _fs.NodeCount;
        var plus = DirentsPlus((byte[])(await Call(r => _fs.ReadDir(r, big.Ino, fh, SnapshotFileSystem.ListingPageSize + 10, 4096, plus: true))).Value!);
        Assert.Equal(names[SnapshotFileSystem.ListingPageSize + 8], plus[0].Name);
        Assert.Equal((ulong)(100 + SnapshotFileSystem.ListingPageSize + 8) << 12, plus[0].Ino);
        Assert.All(plus, e => Assert.Equal(0UL, e.NodeId));
        Assert.Equal(before, _fs.NodeCount);
        Assert.Equal(FuseErrno.EBADF, (await Call(r => _fs.ReadDir(r, big.Ino, fh + 1000, 0, 512, plus: false))).Value);
        await Call(r => _fs.ReleaseDir(r, big.Ino, fh));
        Assert.Equal(FuseErrno.EBADF, (await Call(r => _fs.ReadDir(r, big.Ino, fh, 0, 512, plus: false))).Value);
    }

    [Fact]
    public async Task Opening_a_directory_fetches_the_first_pages_of_its_next_siblings_and_first_subdirectories_ahead()
    {
        // tree/d0 … tree/d5, each with two files; tree/d0/e0 and tree/d0/e1 below d0.
        _backend.Add("", new ListingItem("tree", true, 0, 0, null, null, null, (200UL << 12) | 1));
        for (var d = 0; d < 6; d++)
        {
            _backend.Add("tree", new ListingItem($"d{d}", true, 0, 0, null, null, null, ((300UL + (ulong)d) << 12) | 2));
            _backend.Add($"tree/d{d}", new ListingItem("a", false, 1, 0, "e", null, null, (400UL + (ulong)(2 * d)) << 12));
            _backend.Add($"tree/d{d}", new ListingItem("b", false, 1, 0, "e", null, null, (401UL + (ulong)(2 * d)) << 12));
        }

        _backend.Add("tree/d0", new ListingItem("e0", true, 0, 0, null, null, null, (500UL << 12) | 3));
        _backend.Add("tree/d0", new ListingItem("e1", true, 0, 0, null, null, null, (501UL << 12) | 3));
        _backend.Add("tree/d0/e0", new ListingItem("x", false, 1, 0, "e", null, null, 600UL << 12));
        _backend.Add("tree/d0/e1", new ListingItem("y", false, 1, 0, "e", null, null, 601UL << 12));

        async Task<List<string>> List(ulong ino)
        {
            var fh = await OpenDir(ino);
            var names = Dirents((byte[])(await Call(r => _fs.ReadDir(r, ino, fh, 0, 4096, plus: false))).Value!).Select(e => e.Item1).ToList();
            await Call(r => _fs.ReleaseDir(r, ino, fh));
            return names;
        }

        async Task<ulong> Ino(ulong parent, string name) => ((FuseEntry)(await Call(r => _fs.Lookup(r, parent, name))).Value!).Ino;

        async Task Settled()
        {
            for (var i = 0; i < 200 && _fs.DirectoryReadahead.Fetched > _backend.Listings.Values.Sum() - 1; i++)
            {
                await Task.Delay(10);
            }

            await Task.Delay(50);
        }

        var tree = await Ino(SnapshotFileSystem.RootIno, "tree");
        Assert.Equal([".", "..", "d0", "d1", "d2", "d3", "d4", "d5"], await List(tree));
        await Settled();
        Assert.Equal(1, _backend.Listings.GetValueOrDefault("tree/d0")); // tree's first subdirectories, ahead
        Assert.Equal(1, _backend.Listings.GetValueOrDefault("tree/d1"));
        Assert.False(_backend.Listings.ContainsKey("tree/d2"));

        // A walker going into d0 (then d0's subdirectories), then d1, d2, …: every directory listed once, and each
        // from a page fetched ahead of its opendir.
        foreach (var d in new[] { "d0", "d1", "d2", "d3", "d4", "d5" })
        {
            var ino = await Ino(tree, d);
            Assert.Contains("a", await List(ino));
            await Settled();
            if (d == "d0")
            {
                Assert.Equal([".", "..", "x"], await List(await Ino(ino, "e0")));
                Assert.Equal([".", "..", "y"], await List(await Ino(ino, "e1")));
            }
        }

        Assert.All(_backend.Listings, l => Assert.True(l.Value == 1, $"{l.Key} listed {l.Value} times"));
        Assert.Equal(9, _backend.Listings.Count); // tree, six subdirectories, two below d0
        var (fetched, used) = _fs.DirectoryReadahead;
        Assert.Equal(8, used); // all but tree itself
        Assert.Equal(8, fetched);
    }

    [Fact]
    public async Task A_walker_going_backwards_through_its_subdirectories_gets_the_previous_siblings_fetched_ahead()
    {
        // tree/d0 … tree/d7, each with a file, walked from d7 to d0 (a stack popped from its end, as Python walks do).
        _backend.Add("", new ListingItem("tree", true, 0, 0, null, null, null, (200UL << 12) | 1));
        for (var d = 0; d < 8; d++)
        {
            _backend.Add("tree", new ListingItem($"d{d}", true, 0, 0, null, null, null, ((300UL + (ulong)d) << 12) | 2));
            _backend.Add($"tree/d{d}", new ListingItem("a", false, 1, 0, "e", null, null, (400UL + (ulong)d) << 12));
        }

        var tree = ((FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "tree"))).Value!).Ino;
        var fh = await OpenDir(tree);
        await Call(r => _fs.ReadDir(r, tree, fh, 0, 4096, plus: false));
        await Call(r => _fs.ReleaseDir(r, tree, fh));
        for (var d = 7; d >= 0; d--)
        {
            for (var i = 0; i < 200 && _fs.DirectoryReadahead.Fetched > _backend.Listings.Values.Sum() - 1; i++)
            {
                await Task.Delay(10);
            }

            var ino = ((FuseEntry)(await Call(r => _fs.Lookup(r, tree, $"d{d}"))).Value!).Ino;
            fh = await OpenDir(ino);
            Assert.Contains("a", Dirents((byte[])(await Call(r => _fs.ReadDir(r, ino, fh, 0, 4096, plus: false))).Value!).Select(e => e.Item1));
            await Call(r => _fs.ReleaseDir(r, ino, fh));
        }

        // d7 and d6 fetched at their opendir (d6 showed the direction), d5 … d2 ahead of theirs, d1 and d0 ahead of
        // tree's (its first subdirectories); nothing fetched twice.
        Assert.All(_backend.Listings, l => Assert.True(l.Value == 1, $"{l.Key} listed {l.Value} times"));
        Assert.Equal((6, 6), _fs.DirectoryReadahead);
    }

    [Fact]
    public async Task A_page_that_failed_ahead_is_fetched_again_at_opendir_and_a_lasting_failure_is_EIO_there()
    {
        _backend.Add("", new ListingItem("tree", true, 0, 0, null, null, null, (200UL << 12) | 1));
        for (var d = 0; d < 3; d++)
        {
            _backend.Add("tree", new ListingItem($"d{d}", true, 0, 0, null, null, null, ((300UL + (ulong)d) << 12) | 2));
            _backend.Add($"tree/d{d}", new ListingItem("a", false, 1, 0, "e", null, null, (400UL + (ulong)d) << 12));
        }

        _backend.FailListings["tree/d0"] = 1; // fails ahead, then answers
        _backend.FailListings["tree/d1"] = 100; // never answers
        var tree = ((FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "tree"))).Value!).Ino;
        var fh = await OpenDir(tree);
        Assert.Equal("data", (await Call(r => _fs.ReadDir(r, tree, fh, 0, 4096, plus: false))).Kind);
        for (var i = 0; i < 200 && (_backend.Listings.GetValueOrDefault("tree/d0") < 1 || _backend.Listings.GetValueOrDefault("tree/d1") < 1); i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, _backend.FailListings["tree/d0"]); // its readahead failed

        var d0 = ((FuseEntry)(await Call(r => _fs.Lookup(r, tree, "d0"))).Value!).Ino;
        var d0h = await OpenDir(d0);
        Assert.Equal([(".", d0), ("..", 1UL), ("a", 400UL << 12)], Dirents((byte[])(await Call(r => _fs.ReadDir(r, d0, d0h, 0, 4096, plus: false))).Value!));

        var d1 = ((FuseEntry)(await Call(r => _fs.Lookup(r, tree, "d1"))).Value!).Ino;
        var d1h = await OpenDir(d1);
        Assert.Equal(FuseErrno.EIO, (await Call(r => _fs.ReadDir(r, d1, d1h, 0, 4096, plus: false))).Value);
    }

    /// <summary>
    /// A directory <paramref name="name"/> below the root with <paramref name="count"/> files "f00000", "f00001", … (file i:
    /// i bytes, inode (<paramref name="first"/> + i) &lt;&lt; 12; the directory's inode from the first); their names.
    /// </summary>
    private List<string> AddDirectory(string name, ulong first, int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"f{i:D5}").ToList();
        _backend.Add("", new ListingItem(name, true, 0, 0, null, null, null, (first << 12) | 1));
        for (var i = 0; i < count; i++)
        {
            _backend.Add(name, new ListingItem(names[i], false, i, 0, "e", null, null, (first + (ulong)i) << 12));
        }

        return names;
    }

    /// <summary>Makes the listing policy send attributes: lookups of files a names-only listing sent.</summary>
    private async Task SwitchToAttributesAsync()
    {
        _backend.Add("", new ListingItem("switch", true, 0, 0, null, null, null, (900UL << 12) | 1));
        for (var i = 0; i < ListingAttributes.SwitchLookups; i++)
        {
            _backend.Add("switch", new ListingItem($"s{i:D2}", false, 1, 0, "e", null, null, (ulong)(900 + i) << 12));
        }

        var dir = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "switch"))).Value!;
        var fh = await OpenDir(dir.Ino);
        await Call(r => _fs.ReadDir(r, dir.Ino, fh, 0, 1 << 20, plus: true));
        for (var i = 0; i < ListingAttributes.SwitchLookups; i++)
        {
            await Call(r => _fs.Lookup(r, dir.Ino, $"s{i:D2}"));
        }

        Assert.True(_fs.Listing.WithAttributes);
    }

    private async Task<ulong> OpenDir(ulong ino)
    {
        var reply = await Call(r => _fs.OpenDir(r, ino, default));
        Assert.Equal("open", reply.Kind);
        return (ulong)reply.Value!;
    }

    /// <summary>The (name, ino) pairs of a readdir reply: struct fuse_dirent { u64 ino, off; u32 namelen, type; name padded to 8 }.</summary>
    private static List<(string, ulong)> Dirents(byte[] reply) => [.. DirentsWithOffsets(reply).Select(e => (e.Name, e.Ino))];

    /// <summary>A readdirplus reply's entries: fuse_entry_out (128 bytes, the node id first), then the dirent.</summary>
    private static List<(string Name, ulong Ino, ulong NodeId)> DirentsPlus(byte[] reply)
    {
        var entries = new List<(string, ulong, ulong)>();
        for (var p = 0; p < reply.Length;)
        {
            var nodeId = BitConverter.ToUInt64(reply, p);
            var ino = BitConverter.ToUInt64(reply, p + 128);
            var length = BitConverter.ToInt32(reply, p + 128 + 16);
            entries.Add((Encoding.UTF8.GetString(reply, p + 128 + 24, length), ino, nodeId));
            p += (128 + 24 + length + 7) & ~7;
        }

        return entries;
    }

    private static List<(string Name, ulong Ino, long Offset)> DirentsWithOffsets(byte[] reply)
    {
        var entries = new List<(string, ulong, long)>();
        for (var p = 0; p < reply.Length;)
        {
            var ino = BitConverter.ToUInt64(reply, p);
            var off = BitConverter.ToInt64(reply, p + 8);
            var length = BitConverter.ToInt32(reply, p + 16);
            entries.Add((Encoding.UTF8.GetString(reply, p + 24, length), ino, off));
            p += (24 + length + 7) & ~7;
        }

        return entries;
    }

    [Fact]
    public async Task A_listing_without_inode_numbers_is_EIO_not_made_up_numbers()
    {
        _backend.Add("old", new ListingItem("x", false, 1, 0, "e", null, null, 0));
        _backend.Add("", new ListingItem("old", true, 0, 0, null, null, null, (99UL << 12) | 1));
        var old = (FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "old"))).Value!;
        Assert.Equal(FuseErrno.EIO, (await Call(r => _fs.Lookup(r, old.Ino, "x"))).Value);
        Assert.Equal(1, _fs.Errors);
    }

    [Fact]
    public async Task Reads_cross_chunk_boundaries_and_stop_at_the_end()
    {
        var ino = ((FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "data.bin"))).Value!).Ino;
        var fh = (ulong)(await Call(r => _fs.Open(r, ino, 0))).Value!;
        Assert.Equal("6789abcdef", Encoding.ASCII.GetString((byte[])(await Call(r => _fs.Read(r, ino, fh, 6, 10))).Value!));
        Assert.Equal("ij", Encoding.ASCII.GetString((byte[])(await Call(r => _fs.Read(r, ino, fh, 18, 100))).Value!));
        Assert.Empty((byte[])(await Call(r => _fs.Read(r, ino, fh, 20, 100))).Value!);
        Assert.Equal(0, (await Call(r => _fs.Release(r, ino, fh))).Value);
        Assert.Equal(FuseErrno.EBADF, (await Call(r => _fs.Read(r, ino, fh, 0, 1))).Value);
    }

    [Fact]
    public async Task An_object_that_changed_gives_EIO_and_writes_give_EROFS()
    {
        var ino = ((FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "data.bin"))).Value!).Ino;
        Assert.Equal(FuseErrno.EROFS, (await Call(r => _fs.Open(r, ino, 1))).Value); // O_WRONLY
        Assert.Equal(FuseErrno.EROFS, (await Call(r => _fs.Access(r, ino, 2))).Value);
        Assert.Equal(0, (await Call(r => _fs.Access(r, ino, 4))).Value);
        var fh = (ulong)(await Call(r => _fs.Open(r, ino, 0))).Value!;
        _backend.Changed.Add("s3://b/data.bin");
        Assert.Equal(FuseErrno.EIO, (await Call(r => _fs.Read(r, ino, fh, 0, 4))).Value);
        Assert.Equal(1, _fs.Errors);
    }

    [Fact]
    public async Task Identity_is_an_extended_attribute()
    {
        var ino = ((FuseEntry)(await Call(r => _fs.Lookup(r, SnapshotFileSystem.RootIno, "data.bin"))).Value!).Ino;
        var size = (int)(await Call(r => _fs.GetXattr(r, ino, SnapshotFileSystem.IdentityXattr, 0))).Value!;
        Assert.Equal(32, size);
        Assert.Equal(Identity("s3://b/data.bin", "etag1", 20), Encoding.UTF8.GetString((byte[])(await Call(r => _fs.GetXattr(r, ino, SnapshotFileSystem.IdentityXattr, 64))).Value!));
        Assert.Equal(FuseErrno.ERANGE, (await Call(r => _fs.GetXattr(r, ino, SnapshotFileSystem.IdentityXattr, 4))).Value);
        Assert.Equal(FuseErrno.ENODATA, (await Call(r => _fs.GetXattr(r, ino, "user.other", 64))).Value);
    }

    [Fact]
    public async Task Files_read_ahead_in_a_walk_are_looked_up_without_asking_the_silo()
    {
        // Directory "w" of 40 files, ordinals 0-39; the fake silo covers the files after a path as files/readahead does.
        var backend = new FakeBackend();
        backend.Add("", new ListingItem("w", true, 0, 0, null, null, null, InodeNumbers.Directory(0, 1)));
        for (var k = 0; k < 40; k++)
        {
            backend.Add("w", new ListingItem($"f{k:D2}", false, 3 + k, 1_000_000_000, "e", null, null, InodeNumbers.File(k)));
        }

        backend.FilesAhead = (after, files) =>
        {
            var rest = backend.Items("w").Where(i => string.CompareOrdinal("w/" + i.Name, after) > 0).Take(files).Select(i => i with { Name = "w/" + i.Name }).ToList();
            return new FileReadaheadAnswer(rest.Count, rest.Count, rest.LastOrDefault()?.Name, rest.LastOrDefault()?.Ino ?? 0, rest.Count < files, rest);
        };
        using var fs = new SnapshotFileSystem(backend, new MountOptions { SnapshotName = "s", SourceAddress = "s3://b/" }, NullLogger.Instance, DateTimeOffset.UnixEpoch);
        var w = (FuseEntry)(await Call(r => fs.Lookup(r, SnapshotFileSystem.RootIno, "w"))).Value!;
        for (var k = 0; k < 40; k++)
        {
            var entry = (FuseEntry)(await Call(r => fs.Lookup(r, w.Ino, $"f{k:D2}"))).Value!;
            Assert.Equal(InodeNumbers.File(k), entry.Ino);
            Assert.Equal(3 + k, entry.Attr.Size);
            var fh = (ulong)(await Call(r => fs.Open(r, entry.Ino, 0))).Value!;
            Assert.Equal(0, (await Call(r => fs.Release(r, entry.Ino, fh))).Value);
        }

        // No point read: "w" from a window of the root, f00-f31 from the window asked for f00, the rest from the one
        // fetched ahead (from that window's cursor) when f31, its last name, was looked up, or from the readahead's answers.
        Assert.Equal(0, backend.Lookups);
        Assert.Equal((1, 1, 1L), (backend.Windows[""], backend.Windows["w"], fs.Listing.WindowsAhead));
        Assert.Equal(2, fs.FileReadahead.Requests);
        Assert.Equal(40 - FileReadahead.Streak, fs.FileReadahead.FilesCovered);
    }

    private static string Identity(string address, string etag, long size) => ObjectIdentity.Compute(address, etag, size).ToString();

    /// <summary>Makes one request and waits for its (possibly asynchronous) reply.</summary>
    private async Task<(string Kind, object? Value)> Call(Action<FuseRequest> call)
    {
        var handle = _next++;
        call(new FuseRequest(_sink, handle));
        for (var i = 0; i < 500; i++)
        {
            lock (_sink.Replies)
            {
                var reply = _sink.Replies.FirstOrDefault(r => r.Request == handle);
                if (reply.Kind is not null)
                {
                    return (reply.Kind, reply.Value);
                }
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("no reply");
    }

    private sealed class FakeBackend : IMountBackend
    {
        private readonly Dictionary<string, List<ListingItem>> _directories = [];

        public Dictionary<string, byte[]> Data { get; } = [];

        public HashSet<string> Changed { get; } = [];

        /// <summary>Pages asked per directory (readahead asks from other threads).</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Listings { get; } = [];

        /// <summary>Directories whose listing fails this many more times (a silo that cannot answer).</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> FailListings { get; } = [];

        public int Lookups { get; private set; }

        /// <summary>Answers files/readahead (after, files), synchronously; null: the fake cannot.</summary>
        public Func<string, int, FileReadaheadAnswer>? FilesAhead { get; set; }

        public List<ListingItem> Items(string directory) => _directories[directory];

        public Task<FileReadaheadAnswer?> ReadaheadFilesAsync(string root, string after, int files, CancellationToken cancellationToken) =>
            Task.FromResult(FilesAhead?.Invoke(after, files));

        public int ChunkSize => SnapshotFileSystemTests.ChunkSize;

        public string SnapshotName => "s";

        public string SnapshotId => "id";

        public void Add(string directory, ListingItem item)
        {
            if (!_directories.TryGetValue(directory, out var items))
            {
                _directories[directory] = items = [];
            }

            items.Add(item);
        }

        public async Task<DirectoryListing> ListAsync(string path, string? after, int limit, CancellationToken cancellationToken)
        {
            await Task.Yield();
            Listings.AddOrUpdate(path, 1, (_, n) => n + 1);
            if (FailListings.TryGetValue(path, out var failures) && failures > 0)
            {
                FailListings[path] = failures - 1;
                throw new SiloException("cannot reach the silo", SiloError.Internal, unreachable: true);
            }

            if (!_directories.TryGetValue(path, out var items))
            {
                throw new SiloException("no such directory", SiloError.NotFound);
            }

            var start = after is null ? 0 : int.Parse(after, System.Globalization.CultureInfo.InvariantCulture);
            var page = items.Skip(start).Take(limit).ToList();
            var end = start + page.Count;
            return new DirectoryListing("id", path, page, end < items.Count ? end.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        }

        /// <summary>Windows asked per directory (<see cref="ListFromAsync"/>: lookups the inode table cannot answer).</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Windows { get; } = [];

        public async Task<DirectoryListing> ListFromAsync(string path, string name, int limit, CancellationToken cancellationToken)
        {
            await Task.Yield();
            Windows.AddOrUpdate(path, 1, (_, n) => n + 1);
            if (!_directories.TryGetValue(path, out var items))
            {
                throw new SiloException("no such directory", SiloError.NotFound);
            }

            var start = items.FindIndex(i => string.CompareOrdinal(i.Name, name) >= 0);
            start = start < 0 ? items.Count : start;
            var page = items.Skip(start).Take(limit).ToList();
            var end = start + page.Count;
            return new DirectoryListing("id", path, page, end < items.Count ? end.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        }

        public async Task<ListingItem?> LookupAsync(string path, string name, CancellationToken cancellationToken)
        {
            await Task.Yield();
            Lookups++;
            return _directories.TryGetValue(path, out var items) ? items.Find(i => i.Name == name) : null;
        }

        public Task<ChunkLocation> EnsureChunkAsync(ChunkRequest request, CancellationToken cancellationToken) => throw new NotSupportedException("no local cache in this fake");

        public async Task ReadChunkAsync(ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (Changed.Contains(request.Address))
            {
                throw new SiloException($"object {request.Address} changed after import", SiloError.ObjectChanged);
            }

            Data[request.Address].AsMemory((int)request.Offset, request.Length).CopyTo(destination);
        }

        /// <summary>The node's chunk directory the mount may read; null: none (everything through the silo).</summary>
        public string? ChunkDirectory { get; set; }

        public string? LocalChunkPath(ChunkId id) => ChunkDirectory is null ? null : OrleansMount.Storage.Chunks.ChunkStore.ChunkPathIn(ChunkDirectory, id);
    }
}
