using System.Runtime.CompilerServices;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Client.Mount;
using OrleansMount.Grains.Protocol;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

[UnitTest]
public sealed class InodeTableTests(ITestOutputHelper output)
{
    /// <summary>The two packed forms: S3's quoted MD5 hex, and a file:// source's two dash-joined hex numbers.</summary>
    [Theory]
    [InlineData("\"0123456789abcdef0123456789abcdef\"", true, false)]
    [InlineData("\"00000000000000000000000000000000\"", true, false)]
    [InlineData("\"0123456789ABCDEF0123456789abcdef\"", false, false)] // upper case would not come back the same
    [InlineData("\"0123456789abcdef0123456789abcdef-3\"", false, false)] // multipart
    [InlineData("0123456789abcdef0123456789abcdef", false, false)] // unquoted, no dash
    [InlineData("\"0123456789abcdef0123456789abcdeg\"", false, false)]
    [InlineData("8de2f1c3a4b5c6d-1ae00", false, true)] // a file:// source's: ticks and size
    [InlineData("0-0", false, true)]
    [InlineData("ffffffffffffffff-ffffffffffffffff", false, true)]
    [InlineData("1ffffffffffffffff-1", false, false)] // 17 digits
    [InlineData("08de2f1c3a4b5c6d-1", false, false)] // a leading zero would not come back
    [InlineData("8de2f1c3a4b5c6d-01", false, false)]
    [InlineData("8DE2F1C3A4B5C6D-1", false, false)] // upper case
    [InlineData("\"8de2f1c3a4b5c6d-1\"", false, false)] // quoted
    [InlineData("8de2f1c3a4b5c6d-1-2", false, false)]
    [InlineData("-1", false, false)]
    [InlineData("1-", false, false)]
    [InlineData("+1-2", false, false)]
    [InlineData("12", false, false)]
    [InlineData("", false, false)]
    public void Only_ETags_that_come_back_byte_for_byte_are_packed(string etag, bool hex, bool dashHex)
    {
        Assert.Equal(hex, InodeTable.TryPackHexETag(etag, out var high, out var low));
        if (hex)
        {
            Assert.Equal(etag, InodeTable.UnpackHexETag(high, low));
        }

        Assert.Equal(dashHex, InodeTable.TryPackDashHexETag(etag, out high, out low));
        if (dashHex)
        {
            Assert.Equal(etag, InodeTable.UnpackDashHexETag(high, low));
        }
    }

    [Fact]
    public void A_file_source_ETag_is_packed_and_comes_back_the_same()
    {
        var etag = OrleansMount.Storage.ObjectStores.FileObjectStore.ETagOf(123_456, new DateTime(2026, 12, 7, 3, 40, 12, DateTimeKind.Utc).AddTicks(1_234_567));
        Assert.True(InodeTable.TryPackDashHexETag(etag, out var high, out var low));
        Assert.Equal(etag, InodeTable.UnpackDashHexETag(high, low));
        using var table = new InodeTable(1, "", recentLimit: 10);
        table.Reference(1, new ListingItem("a.jpg", false, 123_456, 5, etag, null, null, 0x2000));
        Assert.Equal(etag, table.FileOf(0x2000)!.Value.File.ETag);
    }

    [Theory]
    [InlineData("")]
    [InlineData("train/part")]
    public void Files_come_back_with_their_path_ETag_and_address_and_go_when_forgotten(string rootPath)
    {
        var table = new InodeTable(1, rootPath, recentLimit: 0);
        var prefix = rootPath.Length == 0 ? "" : rootPath + "/";
        var dir = new ListingItem("d é", true, 0, 0, null, null, null, 0x1001);
        var hex = new ListingItem("a.jpg", false, 10, 123, "\"0123456789abcdef0123456789abcdef\"", null, null, 0x2000);
        var odd = new ListingItem("b", false, 20, 456, "\"abc-2\"", null, "s3://elsewhere/b", 0x3000);
        table.Reference(1, dir);
        table.Reference(0x1001, hex);
        table.Reference(0x1001, odd);
        table.Reference(0x1001, hex); // a second reference to the same inode

        Assert.Equal(4, table.Count);
        Assert.Equal(prefix + "d é/a.jpg", table.PathOf(0x2000));
        var (file, path) = table.FileOf(0x2000)!.Value;
        Assert.Equal((prefix + "d é/a.jpg", "a.jpg", 10L, 123L, hex.ETag, (string?)null), (path, file.Name, file.Size, file.MtimeNs, file.ETag, file.Address));
        var (other, _) = table.FileOf(0x3000)!.Value;
        Assert.Equal(("\"abc-2\"", "s3://elsewhere/b"), (other.ETag, other.Address));
        Assert.Null(table.FileOf(0x1001)); // a directory
        Assert.True(table.TryGet(0x1001, out var info) && info.IsDirectory);

        table.Forget(0x2000, 1);
        Assert.NotNull(table.FileOf(0x2000)); // one reference left
        table.Forget(0x2000, 1);
        Assert.Null(table.FileOf(0x2000));
        table.Forget(0x3000, 5);
        Assert.False(table.TryGet(0x3000, out _));
        table.Forget(1, 100);
        Assert.Equal(rootPath, table.PathOf(1)); // the root never goes
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void A_record_is_48_bytes()
    {
        Assert.Equal(48, Unsafe.SizeOf<InodeTable.Record>());
    }

    /// <summary>
    /// Each value the compact record cannot hold makes its record wide (one more in <c>Maintenance.Widened</c>), and
    /// comes back exactly; the values at the compact limits do not.
    /// </summary>
    [Fact]
    public void Values_the_compact_record_cannot_hold_come_back_exactly_from_a_wide_record()
    {
        using var table = new InodeTable(1, "", recentLimit: 10, arenaBlockBytes: 4096, arenaLimitBytes: 8192);
        const string HexETag = "\"0123456789abcdef0123456789abcdef\"";
        var widened = 0;

        void Add(ulong parent, ListingItem item, bool wide)
        {
            table.Reference(parent, item);
            widened += wide ? 1 : 0;
            Assert.Equal(widened, table.Maintenance.Widened);
            Assert.Equal(item, table.Lookup(parent, item.Name));
            Assert.True(table.TryGet(item.Ino, out var info));
            Assert.Equal((item.Dir, item.Size, item.MtimeNs), (info.IsDirectory, info.Size, info.MtimeNs));
            if (!item.Dir)
            {
                Assert.Equal(item, table.FileOf(item.Ino)!.Value.File);
            }
        }

        ListingItem File(string name, long size, ulong ino, string? etag = HexETag) => new(name, false, size, -5, etag, null, null, ino);

        // Inode numbers: 48 bits, so a directory past them is wide, and so is its child (its parent's number is).
        Add(1, File("last", 1, (1UL << 48) - 1), wide: false);
        Add(1, File("past", 1, 1UL << 48), wide: true);
        Add(1, new ListingItem("big dir", true, 0, 0, null, null, null, ulong.MaxValue), wide: true);
        Add(ulong.MaxValue, File("child", 2, 0x5000), wide: true);
        Assert.Equal("big dir/child", table.PathOf(0x5000));

        // Sizes: 32 bits (4 GiB - 1); S3's 5 TiB, the largest long and a negative one are wide.
        Add(1, File("4g-1", uint.MaxValue, 0x6000), wide: false);
        Add(1, File("4g", (long)uint.MaxValue + 1, 0x7000), wide: true);
        Add(1, File("5t", 5L << 40, 0x8000, "\"abc-12\""), wide: true);
        Add(1, File("max", long.MaxValue, 0x9000, null), wide: true);
        Add(1, File("negative", -1, 0xa000), wide: true);

        // Names: 255 bytes in the record's byte; longer ones (the table takes them, though imports do not make them) are wide.
        Add(1, File(new string('n', 255), 3, 0xb000), wide: false);
        Add(1, File(new string('o', 256), 3, 0xc000, "\"other\""), wide: true);
        Add(1, File(new string('日', 1000), 3, 0xd000), wide: true);

        // A name and other ETag longer than an arena block.
        Add(1, File("long etag", 4, 0xe000, new string('e', 5000)), wide: true);

        // References: 16 bits in the record; the 65,536th makes it wide, and the count is exact past it.
        var hot = File("hot", 5, 0xf000);
        Add(1, hot, wide: false);
        for (var i = 1; i < 70_000; i++)
        {
            table.Reference(1, hot);
        }

        Assert.Equal(++widened, table.Maintenance.Widened);
        table.Forget(hot.Ino, 69_999);
        Assert.True(table.TryGet(hot.Ino, out _));
        table.Forget(hot.Ino, 1);
        Assert.False(table.TryGet(hot.Ino, out _));
        Assert.Equal(hot, table.Lookup(1, "hot")); // a recent inode now, still wide
        table.Reference(1, hot);
        table.Forget(hot.Ino, ulong.MaxValue);
        Assert.False(table.TryGet(hot.Ino, out _));

        // The arena's addresses (8 KiB here, 4 GiB in use): names past them are wide.
        var before = table.Maintenance.Widened;
        for (var i = 0; i < 200; i++)
        {
            table.Reference(1, File($"fill-{i:D3}-{new string('f', 40)}", i, 0x100000UL + (ulong)i));
        }

        Assert.InRange(table.Maintenance.Widened - before, 1, 199); // the first ones fit, then none does
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"fill-{i:D3}-{new string('f', 40)}", table.PathOf(0x100000UL + (ulong)i));
        }

        Assert.Equal(200 + 13 + 1, table.Count);
    }

    /// <summary>
    /// Random references (lookup, readdirplus), children remembered from listings (readdir), lookups by name and forgets
    /// (with counts past the references held, of unknown inodes and of the root) against a naive model made of
    /// dictionaries: after every step the counts agree, and the inodes touched (and every one at the end) give the same
    /// answers: attributes, path, ETag, address, and the child found by name. Enough steps to grow and shrink the
    /// record blocks and the indexes, to compact the name arena and to drop the recent inodes past their bound; values
    /// that make records wide (inode numbers past 48 bits, and so parents, sizes of 4 GiB and more, names past 255 bytes,
    /// an ETag longer than an arena block, over 65,535 references, an arena out of addresses) among the ordinary ones.
    /// </summary>
    [Fact]
    public void Behaves_like_a_naive_model_through_random_lookups_listings_forgets_and_lookups_again()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => Check(seed)).Check(Config.QuickThrowOnFailure.WithMaxTest(12));

        static void Check(int seed)
        {
            var random = new Random(seed);
            const ulong root = 1;
            var rootPath = random.Next(2) == 0 ? "" : "sub/dir";
            var recentLimit = new[] { 0, 7, 300, 2_000 }[random.Next(4)];
            var arenaLimit = new[] { InodeTable.DefaultArenaLimitBytes, 256 * 1024, 32 * 1024 }[random.Next(3)];

            // The snapshot: every inode has one parent, name and set of attributes for good (it never changes).
            var universe = new List<(ulong Parent, ListingItem Item)>();
            var directories = new List<ulong> { root };
            var count = random.Next(3_000, 9_000);
            for (var i = 0; i < count; i++)
            {
                var ino = (random.Next(30) == 0 ? 1UL << 48 : 0x10000UL) + ((ulong)i * 7919) + (ulong)random.Next(7919);
                var parent = directories[random.Next(directories.Count)];
                var name = RandomName(random, i);
                var item = random.Next(6) == 0
                    ? new ListingItem(name, true, 0, 0, null, null, null, ino)
                    : new ListingItem(name, false, RandomSize(random), random.NextInt64(long.MinValue, long.MaxValue), RandomETag(random), null, random.Next(20) == 0 ? "s3://elsewhere/" + name : null, ino);
                if (item.Dir)
                {
                    directories.Add(ino);
                }

                universe.Add((parent, item));
            }

            var table = new InodeTable(root, rootPath, recentLimit, arenaBlockBytes: 4096, arenaLimitBytes: arenaLimit);
            var model = new NaiveTable(root, rootPath, recentLimit);
            try
            {
                var steps = random.Next(20_000, 40_000);
                for (var step = 0; step < steps; step++)
                {
                    // Phases that mostly add and phases that mostly forget, so the table grows and shrinks.
                    var adding = (step / 5_000) % 2 == 0 ? 8 : 2;
                    var (parent, item) = universe[random.Next(universe.Count)];
                    var dice = random.Next(10);
                    if (random.Next(5_000) == 0)
                    {
                        // A hot inode: more references than the record's 16 bits hold.
                        var references = 65_530 + random.Next(20);
                        for (var i = 0; i < references; i++)
                        {
                            table.Reference(parent, item);
                            model.Reference(parent, item);
                        }
                    }
                    else if (dice < adding)
                    {
                        if (random.Next(3) == 0)
                        {
                            table.Remember(parent, item);
                            model.Remember(parent, item);
                        }
                        else
                        {
                            table.Reference(parent, item);
                            model.Reference(parent, item);
                        }
                    }
                    else
                    {
                        var ino = random.Next(50) == 0 ? root : random.Next(50) == 0 ? 0xdead_0000UL + (ulong)random.Next(100) : item.Ino;
                        var forgets = random.Next(200) == 0 ? ulong.MaxValue : (ulong)random.Next(1, 4);
                        table.Forget(ino, forgets);
                        model.Forget(ino, forgets);
                    }

                    Assert.Equal((model.Count, model.RecentCount), (table.Count, table.RecentCount));
                    Same(table, model, item.Ino);
                    var other = universe[random.Next(universe.Count)];
                    Same(table, model, other.Item.Ino);
                    Assert.Equal(model.Lookup(other.Parent, other.Item.Name), table.Lookup(other.Parent, other.Item.Name));
                    Assert.Equal(model.Lookup(parent, item.Name), table.Lookup(parent, item.Name));
                }

                foreach (var (parent, item) in universe)
                {
                    Same(table, model, item.Ino);
                    Assert.Equal(model.Lookup(parent, item.Name), table.Lookup(parent, item.Name));
                }

                // Then the kernel forgets everything (drop_caches), in any order: the table shrinks back.
                foreach (var (ino, lookups) in model.Referenced().OrderBy(_ => random.Next()).ToList())
                {
                    table.Forget(ino, lookups);
                    model.Forget(ino, lookups);
                    Assert.Equal((model.Count, model.RecentCount), (table.Count, table.RecentCount));
                    Same(table, model, ino);
                    Same(table, model, universe[random.Next(universe.Count)].Item.Ino);
                }

                Same(table, model, root);
                Assert.True(table.Maintenance is { Compactions: > 0, Reindexes: >= 3, Sweeps: > 0, Widened: > 0 }, $"{table.Maintenance}: the steps did not exercise the arena's compaction, the indexes' growth and shrinking, the recent bound, or wide records");
                Assert.True(table.MemoryBytes < (1 << 20) + (recentLimit * 1_000L), $"{table.MemoryBytes:N0} bytes left for the root and {table.RecentCount} recent inodes");
            }
            finally
            {
                table.Dispose();
            }
        }

        static void Same(InodeTable table, NaiveTable model, ulong ino)
        {
            var referenced = model.IsReferenced(ino);
            Assert.Equal(referenced, table.TryGet(ino, out var info));
            var expectedPath = referenced ? model.PathOf(ino) : null;
            Assert.Equal(expectedPath, table.PathOf(ino));
            var item = model.ItemOf(ino);
            if (!referenced || item is null)
            {
                Assert.Null(table.FileOf(ino));
                return;
            }

            Assert.Equal((item.Dir, item.Dir ? 0 : item.Size, item.Dir ? 0 : item.MtimeNs), (info.IsDirectory, info.Size, info.MtimeNs));
            var file = table.FileOf(ino);
            if (item.Dir || expectedPath is null)
            {
                Assert.Null(file);
                return;
            }

            Assert.NotNull(file);
            var (got, path) = file.Value;
            Assert.Equal(expectedPath, path);
            Assert.Equal(item with { Identity = null }, got);
        }
    }

    [Fact]
    public void Children_listed_and_inodes_forgotten_are_found_by_name_until_the_recent_bound()
    {
        using var table = new InodeTable(1, "", recentLimit: 3);
        var dir = new ListingItem("d", true, 0, 0, null, null, null, 0x10);
        table.Reference(1, dir);
        var files = Enumerable.Range(0, 4).Select(i => new ListingItem($"f{i}", false, i, i, null, null, null, 0x100UL + (ulong)i)).ToArray();
        table.Remember(0x10, files[0]); // listed by readdir: no reference
        table.Remember(0x10, files[1]);
        Assert.Equal((2, 2), (table.Count, table.RecentCount));
        Assert.Equal(files[0], table.Lookup(0x10, "f0"));
        Assert.Null(table.Lookup(1, "f0")); // another directory
        Assert.Null(table.Lookup(0x10, "f9"));
        Assert.False(table.TryGet(0x100, out _)); // the kernel holds no reference: no getattr
        Assert.Null(table.PathOf(0x100));

        table.Reference(0x10, files[0]); // looked up: referenced now
        Assert.Equal((3, 1), (table.Count, table.RecentCount));
        Assert.Equal("d/f0", table.PathOf(0x100));
        table.Forget(0x100, 1); // forgotten: recent again, still found by name
        Assert.Equal((2, 2), (table.Count, table.RecentCount));
        Assert.Equal(files[0], table.Lookup(0x10, "f0"));
        table.Forget(0x10, 1);
        Assert.Equal((1, 3), (table.Count, table.RecentCount));
        Assert.Equal(dir, table.Lookup(1, "d"));

        table.Remember(0x10, files[2]); // a fourth recent inode: past the bound, all of them go
        Assert.Equal((1, 0), (table.Count, table.RecentCount));
        Assert.Null(table.Lookup(0x10, "f0"));
        Assert.Null(table.Lookup(1, "d"));
        Assert.Equal("", table.PathOf(1));
    }

    /// <summary>
    /// Memory follows the references: 200,000 files with ImageNet-length names cost under 90 bytes each (a 48-byte
    /// record, the name, two indexes between a quarter and three quarters full: 87.5 measured, 103.6 with the 64-byte
    /// record before), with the ETags of S3 and of file:// sources alike (both packed into the record), and forgetting them
    /// gives the blocks back.
    /// </summary>
    [Theory]
    [InlineData("\"0123456789abcdef0123456789abcdef\"")] // S3's MD5 form
    [InlineData("8de2f1c3a4b5c6d-1ada0")] // a file:// source's
    public void Memory_follows_the_inodes_referenced(string etag)
    {
        using var table = new InodeTable(1, "", recentLimit: 1_000);
        var empty = table.MemoryBytes;
        const int Directories = 200, PerDirectory = 1_000;
        for (var d = 0; d < Directories; d++)
        {
            var dir = 0x100000UL + (ulong)d;
            table.Reference(1, new ListingItem($"n{d:D8}", true, 0, 0, null, null, null, dir));
            for (var f = 0; f < PerDirectory; f++)
            {
                table.Reference(dir, new ListingItem($"n{d:D8}_{f}.JPEG", false, 110_000, 1, etag, null, null, 0x1000000UL + (ulong)((d * PerDirectory) + f)));
            }
        }

        var files = Directories * PerDirectory;
        Assert.Equal(files + Directories + 1, table.Count);
        var perFile = table.MemoryBytes / (double)files;
        output.WriteLine($"{perFile:F1} B per referenced file");
        Assert.True(perFile < 90, $"{perFile:F1} B per referenced file");
        Assert.Equal("n00000199/n00000199_999.JPEG", table.PathOf(0x1000000UL + (ulong)(files - 1)));

        for (var i = 0; i < files; i++)
        {
            table.Forget(0x1000000UL + (ulong)i, 1);
        }

        Assert.Equal(Directories + 1, table.Count);
        Assert.True(table.RecentCount <= 1_000);
        Assert.True(table.MemoryBytes < empty + (1 << 20), $"{table.MemoryBytes:N0} bytes left for {table.Count} inodes");
        Assert.Equal("n00000007", table.PathOf(0x100007));
    }

    private static string RandomName(Random random, int i)
    {
        string[] pieces = ["a", "é", "日", "🙂", " ", "\t", "\n", "\"", "\\", "%", "#", "~", ";", "*", "?", "[", "}", "'", "`", "$", "!", "\u0001", "\u007f", ".", "-", "ß"];
        // Mostly short; some past NAME_MAX (imports skip them, the table still keeps them exactly).
        var length = random.Next(10) == 0 ? random.Next(60, 120) : random.Next(1, 24);
        var maxBytes = random.Next(40) == 0 ? 1_000 : 255;
        length = maxBytes > 255 ? random.Next(200, 600) : length;
        var builder = new StringBuilder($"{i}-");
        while (builder.Length < length)
        {
            var piece = pieces[random.Next(pieces.Length)];
            if (Encoding.UTF8.GetByteCount(builder.ToString()) + Encoding.UTF8.GetByteCount(piece) > maxBytes)
            {
                break;
            }

            builder.Append(piece);
        }

        return builder.ToString();
    }

    private static string? RandomETag(Random random) => random.Next(8) switch
    {
        0 => null,
        1 => $"\"{random.NextInt64():x}-{random.Next(2, 99)}\"",
        3 => $"{random.NextInt64():x}-{random.NextInt64(random.Next(2) == 0 ? 2 : long.MaxValue):x}", // a file:// source's form
        2 => new string('e', random.Next(50) == 0 ? random.Next(4_000, 6_000) : random.Next(100, 300)), // some longer than an arena block
        _ => $"\"{random.NextInt64():x16}{random.NextInt64():x16}\"",
    };

    /// <summary>Mostly under 4 GiB (the compact record's 32 bits), some at and past it, up to S3's 5 TiB and the largest long.</summary>
    private static long RandomSize(Random random) => random.Next(20) switch
    {
        0 => random.NextInt64(1L << 32, 5L << 40),
        1 => new[] { uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue, 0 }[random.Next(4)],
        _ => random.NextInt64(1L << 31),
    };

    /// <summary>The inode table's behaviour in plain dictionaries and lists, for the property test.</summary>
    private sealed class NaiveTable(ulong root, string rootPath, int recentLimit)
    {
        private readonly Dictionary<ulong, (ulong Parent, ListingItem Item, ulong Lookups)> _entries = [];
        private readonly List<ulong> _noted = [];
        private readonly int _noteCapacity = Math.Max(16, 4 * recentLimit);

        public int RecentCount { get; private set; }

        public int Count => _entries.Values.Count(e => e.Lookups > 0) + 1;

        public IEnumerable<(ulong Ino, ulong Lookups)> Referenced() => _entries.Where(e => e.Value.Lookups > 0).Select(e => (e.Key, e.Value.Lookups));

        public bool IsReferenced(ulong ino) => ino == root || (_entries.TryGetValue(ino, out var e) && e.Lookups > 0);

        public ListingItem? ItemOf(ulong ino) => _entries.TryGetValue(ino, out var e) ? e.Item : null;

        public ListingItem? Lookup(ulong parent, string name) =>
            _entries.Values.Where(e => e.Parent == parent && e.Item.Name == name).Select(e => e.Item with { Identity = null, Address = e.Item.Dir ? null : e.Item.Address }).FirstOrDefault();

        public void Reference(ulong parent, ListingItem item)
        {
            if (_entries.TryGetValue(item.Ino, out var e))
            {
                RecentCount -= e.Lookups == 0 ? 1 : 0;
                _entries[item.Ino] = e with { Lookups = e.Lookups + 1 };
            }
            else
            {
                _entries[item.Ino] = (parent, item, 1);
            }
        }

        public void Remember(ulong parent, ListingItem item)
        {
            if (_entries.TryAdd(item.Ino, (parent, item, 0)))
            {
                BecameRecent(item.Ino);
            }
        }

        public void Forget(ulong ino, ulong count)
        {
            if (ino == root || !_entries.TryGetValue(ino, out var e) || e.Lookups == 0)
            {
                return;
            }

            _entries[ino] = e with { Lookups = e.Lookups > count ? e.Lookups - count : 0 };
            if (e.Lookups <= count)
            {
                BecameRecent(ino);
            }
        }

        public string? PathOf(ulong ino)
        {
            var names = new List<string>();
            for (var current = ino; current != root; current = _entries[current].Parent)
            {
                if (!_entries.ContainsKey(current))
                {
                    return null;
                }

                names.Add(_entries[current].Item.Name);
            }

            names.Reverse();
            return string.Join('/', rootPath.Length == 0 ? names : names.Prepend(rootPath));
        }

        private void BecameRecent(ulong ino)
        {
            RecentCount++;
            _noted.Add(ino);
            if (RecentCount <= recentLimit && _noted.Count < _noteCapacity)
            {
                return;
            }

            foreach (var noted in _noted)
            {
                if (_entries.TryGetValue(noted, out var e) && e.Lookups == 0)
                {
                    _entries.Remove(noted);
                }
            }

            _noted.Clear();
            RecentCount = 0;
        }
    }
}
