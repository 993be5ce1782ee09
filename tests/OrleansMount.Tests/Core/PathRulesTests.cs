using OrleansMount.Core;

namespace OrleansMount.Tests.Core;

[UnitTest]
public sealed class PathRulesTests
{
    [Theory]
    [InlineData("a", PathVerdict.Ok)]
    [InlineData("a/b c/ü.txt", PathVerdict.Ok)]
    [InlineData("a/.hidden", PathVerdict.Ok)]
    [InlineData("a/...", PathVerdict.Ok)]
    [InlineData("", PathVerdict.Empty)]
    [InlineData("dir/", PathVerdict.DirectoryMarker)]
    [InlineData("a//b", PathVerdict.BadSegment)]
    [InlineData("/a", PathVerdict.BadSegment)]
    [InlineData("a/../b", PathVerdict.BadSegment)]
    [InlineData("./a", PathVerdict.BadSegment)]
    [InlineData("..", PathVerdict.BadSegment)]
    [InlineData("a\0b", PathVerdict.InvalidCharacter)]
    public void Check_classifies_keys(string key, PathVerdict expected) => Assert.Equal(expected, PathRules.Check(key));

    [Fact]
    public void Names_over_255_bytes_are_rejected_counting_utf8_bytes()
    {
        Assert.Equal(PathVerdict.Ok, PathRules.Check("d/" + new string('x', 255)));
        Assert.Equal(PathVerdict.NameTooLong, PathRules.Check("d/" + new string('x', 256)));
        Assert.Equal(PathVerdict.NameTooLong, PathRules.Check(new string('é', 128))); // 256 bytes
    }

    [Theory]
    [InlineData("/", "")]
    [InlineData("", "")]
    [InlineData("/a/b/", "a/b")]
    [InlineData("a", "a")]
    public void Directories_normalize(string input, string expected) => Assert.Equal(expected, PathRules.NormalizeDirectory(input));

    [Fact]
    public void Bad_directories_are_user_errors() =>
        Assert.Throws<OrleansMountException>(() => PathRules.NormalizeDirectory("a/../b"));

    [Fact]
    public void Chunk_slices_cover_a_read_exactly()
    {
        const int ChunkSize = 10;
        Assert.Empty(ChunkMath.Slices(25, ChunkSize, 25, 5));
        Assert.Empty(ChunkMath.Slices(25, ChunkSize, 30, 5));
        Assert.Equal([(0, 5, 5), (1, 0, 10), (2, 0, 3)], ChunkMath.Slices(23, ChunkSize, 5, 100));
        Assert.Equal(3, ChunkMath.ChunkCount(23, ChunkSize));
        Assert.Equal(0, ChunkMath.ChunkCount(0, ChunkSize));
        Assert.Equal(3, ChunkMath.ChunkLength(23, ChunkSize, 2));
        Assert.Equal(1, ChunkMath.ChunkCount(ChunkSize, ChunkSize));
    }

    [Fact]
    public void Chunk_math_handles_files_over_2_GiB()
    {
        const long Size = (5L << 30) + 7;
        var slices = ChunkMath.Slices(Size, ChunkMath.DefaultChunkSize, Size - 10, 100).ToList();
        Assert.Equal([(1279, ChunkMath.DefaultChunkSize - 3, 3), (1280, 0, 7)], slices);
        Assert.Equal(1281, ChunkMath.ChunkCount(Size, ChunkMath.DefaultChunkSize));
        Assert.Equal(7, ChunkMath.ChunkLength(Size, ChunkMath.DefaultChunkSize, 1280));
    }
}
