using OrleansMount.Core;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

[UnitTest]
public sealed class StoreUriTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://bucket/", "bucket", "")]
    [InlineData("s3://my-bucket.data/prefix", "my-bucket.data", "prefix/")]
    [InlineData("s3://bucket/a/b/", "bucket", "a/b/")]
    [InlineData("s3://b12/with space/é", "b12", "with space/é/")]
    public void ParsesS3Uris(string text, string bucket, string prefix)
    {
        var uri = StoreUri.Parse(text);

        Assert.True(uri.IsS3);
        Assert.Equal("s3", uri.Scheme);
        Assert.Equal(bucket, uri.Bucket);
        Assert.Equal(prefix, uri.Prefix);
        Assert.Equal($"s3://{bucket}/{prefix}", uri.ToString());
    }

    [Theory]
    [InlineData("file:///data/train", "/data/train")]
    [InlineData("file:///data/train/", "/data/train")]
    [InlineData("file:///data/with%20space", "/data/with space")]
    [InlineData("file:///", "/")]
    public void ParsesFileUris(string text, string directory)
    {
        var uri = StoreUri.Parse(text);

        Assert.False(uri.IsS3);
        Assert.Equal("file", uri.Scheme);
        Assert.Equal(directory, uri.Bucket);
        Assert.Equal("", uri.Prefix);
    }

    [Fact]
    public void AddressesKeysAndChildren()
    {
        Assert.Equal("s3://bucket/a/b.bin", StoreUri.S3("bucket").AddressOf("a/b.bin"));
        Assert.Equal("file:///data/a/b.bin", StoreUri.File("/data").AddressOf("a/b.bin"));
        Assert.Equal("file:///a.bin", StoreUri.File("/").AddressOf("a.bin"));
        Assert.Equal("x/y/", StoreUri.S3("bucket", "x").Child("y").Prefix);
    }

    [Theory]
    [InlineData("bucket/prefix")]
    [InlineData("http://example.com/bucket")]
    [InlineData("s3://")]
    [InlineData("s3://ab")]
    [InlineData("s3://Bucket")]
    [InlineData("s3://-bucket")]
    [InlineData("s3://bucket//x")]
    [InlineData("s3://bucket/a//b")]
    [InlineData("file://relative/dir")]
    [InlineData("file:relative")]
    [InlineData("")]
    public void RejectsMalformedUrisNamingTheExpectedForm(string text)
    {
        var error = Assert.Throws<OrleansMountException>(() => StoreUri.Parse(text));

        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected s3://BUCKET[/PREFIX] or file:///ABSOLUTE/DIR", error.Message, StringComparison.Ordinal);
    }
}
