using OrleansMount.Core;

namespace OrleansMount.Tests.Core;

/// <summary>
/// Freezes the persistent formats: identities, entry values, metarange records and content hashes.
/// If one of these fails, a change broke every existing cache and catalog: bump the format
/// version instead of editing the expected bytes.
/// </summary>
[UnitTest]
public sealed class FormatGoldenTests
{
    [Fact]
    public void Identity_is_frozen()
    {
        var identity = ObjectIdentity.Compute("s3://bucket/ds/a.bin", "9e107d9d372bb6826bd81d3542a419d6", 1234);
        Assert.Equal(Golden.Identity, identity.ToString());
        Assert.Equal(identity, ObjectIdentity.Parse(identity.ToString()));
    }

    [Fact]
    public void Identity_depends_on_address_etag_and_size()
    {
        var a = ObjectIdentity.Compute("s3://b/k", "e", 1);
        Assert.NotEqual(a, ObjectIdentity.Compute("s3://b/k2", "e", 1));
        Assert.NotEqual(a, ObjectIdentity.Compute("s3://b/k", "f", 1));
        Assert.NotEqual(a, ObjectIdentity.Compute("s3://b/k", "e", 2));
        // Length prefixes keep field boundaries: ("ab","c") differs from ("a","bc").
        Assert.NotEqual(ObjectIdentity.Compute("ab", "c", 0), ObjectIdentity.Compute("a", "bc", 0));
    }

    [Fact]
    public void Entry_value_is_frozen_for_md5_etag_and_derived_address()
    {
        var entry = SnapshotEntry.Create("dir/a.bin", 1234, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), "9e107d9d372bb6826bd81d3542a419d6", "s3://bucket/ds/dir/a.bin");
        var value = EntryCodec.Encode(entry, "s3://bucket/ds/dir/a.bin", localIndex: 300);
        Assert.Equal(Golden.EntryMd5, Convert.ToHexStringLower(value));
        Assert.Equal(entry, EntryCodec.Decode("dir/a.bin", value, "s3://bucket/ds/dir/a.bin"));
        Assert.Equal(300, EntryCodec.LocalIndex("dir/a.bin", value));
    }

    [Fact]
    public void Entry_value_is_frozen_for_other_etag_and_explicit_address()
    {
        var entry = SnapshotEntry.Create("x", 0, DateTimeOffset.FromUnixTimeMilliseconds(-5), "abc-2", "file:///elsewhere/x");
        var value = EntryCodec.Encode(entry, "file:///data/x", localIndex: 0);
        Assert.Equal(Golden.EntryOther, Convert.ToHexStringLower(value));
        Assert.Equal(entry, EntryCodec.Decode("x", value, "file:///data/x"));
        Assert.Equal(0, EntryCodec.LocalIndex("x", value));
    }

    [Fact]
    public void Version_1_entry_values_still_decode_without_an_index()
    {
        var md5 = SnapshotEntry.Create("dir/a.bin", 1234, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), "9e107d9d372bb6826bd81d3542a419d6", "s3://bucket/ds/dir/a.bin");
        var v1 = Convert.FromHexString(Golden.EntryMd5V1);
        Assert.Equal(md5, EntryCodec.Decode("dir/a.bin", v1, "s3://bucket/ds/dir/a.bin"));
        Assert.Null(EntryCodec.LocalIndex("dir/a.bin", v1));

        var other = SnapshotEntry.Create("x", 0, DateTimeOffset.FromUnixTimeMilliseconds(-5), "abc-2", "file:///elsewhere/x");
        var otherV1 = Convert.FromHexString(Golden.EntryOtherV1);
        Assert.Equal(other, EntryCodec.Decode("x", otherV1, "file:///data/x"));
        Assert.Null(EntryCodec.LocalIndex("x", otherV1));

        // Version 2 is version 1 with the index after the version byte (300 = varint ac 02).
        Assert.Equal(Golden.EntryMd5, "02ac02" + Golden.EntryMd5V1[2..]);
        Assert.Equal(Golden.EntryOther, "0200" + Golden.EntryOtherV1[2..]);
    }

    [Fact]
    public void Entry_with_unknown_version_is_rejected()
    {
        var ex = Assert.Throws<FormatException>(() => EntryCodec.Decode("p", [3, 0], "a"));
        Assert.Contains("version", ex.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => EntryCodec.LocalIndex("p", []));
    }

    [Fact]
    public void Metarange_record_is_frozen()
    {
        var descriptor = new RangeDescriptor(new RangeId(Hash128.Of("r"u8)), "a/first", "z/last", 2048, 1L << 33, 70_000);
        var value = descriptor.EncodeValue();
        Assert.Equal(Golden.Metarange, Convert.ToHexStringLower(value));
        Assert.Equal(descriptor, RangeDescriptor.Decode("a/first", value));
    }

    [Fact]
    public void Content_hash_and_keys_are_frozen()
    {
        var hash = ContentHash.Compute("range v1", [("a"u8.ToArray(), "1"u8.ToArray()), ("b"u8.ToArray(), "2"u8.ToArray())]);
        Assert.Equal(Golden.ContentHash, hash.ToString());
        var key = KeyCodec.RangeEntry(new RangeId(hash), "dir/é");
        Assert.Equal("01" + Golden.ContentHash + "6469722fc3a9", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Varints_round_trip_at_the_edges()
    {
        var buffer = new byte[10];
        foreach (var value in new[] { 0L, 1, -1, 63, -64, 64, long.MaxValue, long.MinValue, 1L << 40 })
        {
            var written = VarInt.WriteSigned(buffer, value);
            var position = 0;
            Assert.Equal(value, VarInt.ReadSigned(buffer.AsSpan(0, written), ref position));
            Assert.Equal(written, position);
        }
    }

    private static class Golden
    {
        public const string Identity = "4b29da6341a5d062e5121f750f82e280";
        public const string EntryMd5 = "02ac02d2098080d0e2c6bfce972f019e107d9d372bb6826bd81d3542a419d6e1cd7c844bd664fb55f80ec5069bffe800";
        public const string EntryOther = "020000fface20400056162632d32f99bc3b247eb271f9378713acacde4dc1366696c653a2f2f2f656c736577686572652f78";
        public const string EntryMd5V1 = "01d2098080d0e2c6bfce972f019e107d9d372bb6826bd81d3542a419d6e1cd7c844bd664fb55f80ec5069bffe800";
        public const string EntryOtherV1 = "0100fface20400056162632d32f99bc3b247eb271f9378713acacde4dc1366696c653a2f2f2f656c736577686572652f78";
        public const string Metarange = "01454349e422f05297191ead13e21d3db580108080808020f0a204067a2f6c617374";
        public const string ContentHash = "5bcf13880846bf2486f30ad990f32372";
    }
}
