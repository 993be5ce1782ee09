using OrleansMount.Client.Mount;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Tests.Mount;

[UnitTest]
public sealed class InodeTableTests
{
    [Theory]
    [InlineData("\"0123456789abcdef0123456789abcdef\"", true)]
    [InlineData("\"00000000000000000000000000000000\"", true)]
    [InlineData("\"0123456789ABCDEF0123456789abcdef\"", false)] // upper case would not come back the same
    [InlineData("\"0123456789abcdef0123456789abcdef-3\"", false)] // multipart
    [InlineData("0123456789abcdef0123456789abcdef", false)] // unquoted
    [InlineData("\"0123456789abcdef0123456789abcdeg\"", false)]
    [InlineData("", false)]
    public void Only_ETags_that_come_back_byte_for_byte_are_packed(string etag, bool packed)
    {
        Assert.Equal(packed, InodeTable.TryPackHexETag(etag, out var high, out var low));
        if (packed)
        {
            Assert.Equal(etag, InodeTable.UnpackHexETag(high, low));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("train/part")]
    public void Files_come_back_with_their_path_ETag_and_address_and_go_when_forgotten(string rootPath)
    {
        var table = new InodeTable(1, rootPath);
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
}
