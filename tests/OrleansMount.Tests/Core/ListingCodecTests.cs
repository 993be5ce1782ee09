using System.Text;
using System.Text.Json;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Tests.Core;

/// <summary>The binary listing form mounts ask for (docs/api.md, <c>format=binary</c>): lossless, and strict about damage.</summary>
[UnitTest]
public sealed class ListingCodecTests
{
    private static readonly string[] Names = ["a", "é", "名前", "a b", "x\u0001y", "🙂.jpg", new string('n', 255), "%2F", "-"];

    private static DirectoryListing RandomListing(int seed)
    {
        var random = new Random(seed);
        string? Maybe(string value) => random.Next(3) == 0 ? null : value;
        var items = new List<ListingItem>();
        for (var i = random.Next(0, 300); i > 0; i--)
        {
            var dir = random.Next(4) == 0;
            items.Add(new ListingItem(
                Names[random.Next(Names.Length)] + i,
                dir,
                dir ? 0 : random.NextInt64(0, long.MaxValue),
                random.NextInt64(long.MinValue, long.MaxValue),
                dir ? null : Maybe("\"" + random.Next() + "-3\""),
                dir ? null : Maybe(random.Next().ToString("x32", System.Globalization.CultureInfo.InvariantCulture)),
                dir ? null : Maybe("s3://b/k/" + Names[random.Next(Names.Length)]),
                (ulong)random.NextInt64() * 2));
        }

        return new DirectoryListing("id-" + seed, seed % 5 == 0 ? "" : "dir/" + Names[seed % Names.Length], items, seed % 2 == 0 ? null : "cursor-" + seed);
    }

    [Fact]
    public void Every_listing_decodes_to_what_was_encoded_and_to_what_the_JSON_form_gives()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var listing = RandomListing(seed);
            var decoded = ListingCodec.Decode(ListingCodec.Encode(listing));
            var json = JsonSerializer.Deserialize<DirectoryListing>(JsonSerializer.Serialize(listing, JsonSerializerOptions.Web), JsonSerializerOptions.Web)!;
            Assert.Equal((listing.SnapshotId, listing.Path, listing.Next), (decoded.SnapshotId, decoded.Path, decoded.Next));
            Assert.Equal(listing.Items, decoded.Items);
            Assert.Equal(json.Items, decoded.Items);
        }
    }

    [Fact]
    public void Truncated_extended_and_damaged_bytes_are_refused_never_read_as_another_listing()
    {
        var listing = RandomListing(7);
        Assert.NotEmpty(listing.Items);
        var bytes = ListingCodec.Encode(listing);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => ListingCodec.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => ListingCodec.Decode([.. bytes, 0]));
        Assert.Throws<FormatException>(() => ListingCodec.Decode(Encoding.UTF8.GetBytes("{\"snapshotId\":\"x\"}")));

        // An unknown flag bit on the first item (its flags byte follows the header and the count, one byte for 0 or 3).
        var three = listing with { Items = [.. listing.Items.Take(3)] };
        var header = ListingCodec.Encode(three with { Items = [] }).Length;
        var flagged = ListingCodec.Encode(three);
        flagged[header] |= 0x80;
        Assert.Contains("unknown flags", Assert.Throws<FormatException>(() => ListingCodec.Decode(flagged)).Message);
    }
}
