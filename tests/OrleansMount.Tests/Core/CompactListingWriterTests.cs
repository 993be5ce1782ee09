using System.Text;
using OrleansMount.Core;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Tests.Core;

/// <summary>
/// The silo's listing pages written from the store's keys and values (decision 0032) are byte for byte the pages
/// <see cref="ListingCodec.Encode"/> writes for the compact items of the same children: the oracle below builds those
/// items from decoded entries, as the silo builds them for JSON listings and lookups.
/// </summary>
[UnitTest]
public sealed class CompactListingWriterTests
{
    private const string Source = "s3://bucket/ds/";
    private static readonly DateTimeOffset Created = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A child as the silo sends it with <c>compact=true</c>: ETag, no identity, the address only when it is not derived.</summary>
    internal static ListingItem CompactItem(DirectoryItem item, string source, DateTimeOffset created)
    {
        var ino = item.Ino ?? throw new InvalidOperationException("no inode number");
        if (item.Entry is not { } entry)
        {
            return new ListingItem(item.Name, true, 0, EntryCodec.ToUnixNanoseconds(created), null, null, null, ino);
        }

        var derived = entry.PhysicalAddress == source + entry.Path;
        return new ListingItem(item.Name, false, entry.Size, EntryCodec.ToUnixNanoseconds(entry.ModifiedTime), entry.ETag, null, derived ? null : entry.PhysicalAddress, ino);
    }

    [Fact]
    public void Written_pages_equal_the_encoded_compact_items_for_every_kind_of_entry()
    {
        var random = new Random(32);
        string[] names = ["a", "é", "名前", "a b", "x\u0001y", "🙂.jpg", new string('n', 255), "%2F", "-"];
        for (var page = 0; page < 50; page++)
        {
            var writer = new CompactListingWriter(Source, EntryCodec.ToUnixNanoseconds(Created), "snap");
            var expected = new List<ListingItem>();
            for (var i = random.Next(0, 60); i > 0; i--)
            {
                var name = names[random.Next(names.Length)] + i;
                var ino = (ulong)random.NextInt64(1, long.MaxValue);
                if (random.Next(5) == 0)
                {
                    writer.Directory(Encoding.UTF8.GetBytes(name), ino);
                    expected.Add(CompactItem(new DirectoryItem(name, null, ino), Source, Created));
                    continue;
                }

                var path = "dir/" + name;
                var etag = random.Next(3) switch
                {
                    0 => random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture), // stored as 16 bytes
                    1 => "\"" + random.Next() + "-3\"", // a multipart ETag: stored as text
                    _ => "ABCDEF0123456789ABCDEF0123456789", // hex, but not lowercase: stored as text
                };
                var address = random.Next(4) switch
                {
                    0 => "s3://elsewhere/" + name, // an override
                    1 => Source + path, // derived
                    _ => Source + path,
                };
                // Nanoseconds that are not whole 100 ns ticks (a file:// source), before and after the epoch.
                var mtime = EntryCodec.FromUnixNanoseconds(0).AddTicks(random.NextInt64(-1_000_000_000, 20_000_000_000_000_000));
                var entry = SnapshotEntry.Create(path, random.NextInt64(0, 1L << 40), mtime, etag, address);
                var value = EntryCodec.Encode(entry, random.Next(10) == 0 ? "s3://other-source/" + path : Source + path, random.Next(0, 5000));
                if (random.Next(3) == 0)
                {
                    value = WithSubTickMtime(value, random.Next(1, 100));
                }

                writer.File(Encoding.UTF8.GetBytes(path), Encoding.UTF8.GetBytes(name), value, ino);
                expected.Add(CompactItem(new DirectoryItem(name, EntryCodec.Decode(path, value, Source + path), ino), Source, Created));
            }

            var next = random.Next(2) == 0 ? null : "f/" + names[random.Next(names.Length)];
            var listing = new DirectoryListing("id-" + page, page % 3 == 0 ? "" : "dir", expected, next);
            Assert.Equal(ListingCodec.Encode(listing), writer.Finish(listing.SnapshotId, listing.Path, next));
            Assert.Equal(expected.Count, writer.Count);
            Assert.Equivalent(listing, ListingCodec.Decode(writer.Finish(listing.SnapshotId, listing.Path, next)), strict: true);
        }
    }

    [Fact]
    public void A_child_without_an_inode_number_is_refused_with_what_to_do()
    {
        var writer = new CompactListingWriter(Source, 0, "old");
        var value = EntryCodec.Encode(SnapshotEntry.Create("f", 1, Created, "e", Source + "f"), Source + "f", 0);
        var expected = $"snapshot 'old' was imported before inode numbering (entry format 1) and cannot be mounted: import it again with 'orleansmount import {Source} --snapshot old --replace'";
        Assert.Equal(expected, Assert.Throws<OrleansMountException>(() => writer.File("f"u8, "f"u8, value, null)).Message);
        Assert.Equal(expected, Assert.Throws<OrleansMountException>(() => writer.Directory("d"u8, null)).Message);
    }

    [Fact]
    public void A_damaged_value_names_its_path()
    {
        var writer = new CompactListingWriter(Source, 0, "snap");
        var e = Assert.Throws<FormatException>(() => writer.File("dir/é"u8, "é"u8, [9, 0, 0], 1));
        Assert.Contains("entry 'dir/é': unknown entry format version 9", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The value with its mtime moved by <paramref name="nanoseconds"/> (under one tick): EntryCodec only writes whole ticks.</summary>
    private static byte[] WithSubTickMtime(byte[] value, int nanoseconds)
    {
        var p = 1;
        var index = VarInt.Read(value, ref p);
        var size = VarInt.Read(value, ref p);
        var mtime = VarInt.ReadSigned(value, ref p);
        var rest = value.AsSpan(p);
        var buffer = new byte[value.Length + 10];
        var q = 0;
        buffer[q++] = value[0];
        q += VarInt.Write(buffer.AsSpan(q), index);
        q += VarInt.Write(buffer.AsSpan(q), size);
        q += VarInt.WriteSigned(buffer.AsSpan(q), mtime + nanoseconds);
        rest.CopyTo(buffer.AsSpan(q));
        return buffer[..(q + rest.Length)];
    }
}
