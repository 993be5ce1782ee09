using System.Text;
using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>Directory replies are sized to the entries they hold, by libfuse's own packing (in process, no kernel).</summary>
[UnitTest]
public sealed class FuseDirectoryReplyTests
{
    /// <summary>A reply of exactly <see cref="FuseDirectoryReply.EntrySize"/> bytes takes the entry and one byte less does not: the size is libfuse's.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Entry_size_is_what_libfuse_packs(bool plus)
    {
        var sink = new RecordingReplySink();
        foreach (var name in Enumerable.Range(1, 255).Select(n => new string('x', n)).Append("é").Append("日本語 🙂"))
        {
            var size = FuseDirectoryReply.EntrySize(Encoding.UTF8.GetByteCount(name), plus);
            var exact = new FuseDirectoryReply(new FuseRequest(sink, 1), size, plus);
            Assert.True(Add(exact, name), $"'{name}' did not fit in {size} bytes");
            Assert.Equal(size, exact.Length);
            exact.Send();

            var less = new FuseDirectoryReply(new FuseRequest(sink, 2), size - 1, plus);
            Assert.False(Add(less, name), $"'{name}' fit in {size - 1} bytes");
            less.Send();
        }
    }

    /// <summary>
    /// The kernel asks for up to 1 MiB; a page of 1,000 ImageNet-like names needs ~176 KB as readdirplus: the reply's
    /// buffer is what its entries take, and a smaller size still cuts the reply at the first entry that does not fit.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_reply_is_sized_to_its_entries_not_to_the_kernels_request(bool plus)
    {
        var entries = Enumerable.Range(0, 1_000)
            .Select(i => new FuseDirectoryEntry($"n{i % 1000:D8}_{i}.JPEG", (ulong)(i + 2) << 12, FuseFileMode.RegularFile) { Entry = new FuseEntry { Ino = (ulong)(i + 2) << 12 } })
            .ToList();
        var all = entries.Sum(e => FuseDirectoryReply.EntrySize(Encoding.UTF8.GetByteCount(e.Name), plus));

        Assert.Equal(1_000, FuseDirectoryReply.Fitting(entries, 0, 1 << 20, plus, out var bytes));
        Assert.Equal(all, bytes);
        Assert.True(bytes < (plus ? 180_000 : 48_000), $"{bytes} bytes for 1,000 entries");

        var sink = new RecordingReplySink();
        Assert.Equal(0, new FuseRequest(sink, 3).ReplyDirectory(entries, 0, 1 << 20, plus));
        Assert.Equal(all, ((byte[])Assert.Single(sink.Replies).Value!).Length);

        // A size that ends mid-list: the entries that fit whole, from the offset asked for.
        var size = 10_000;
        var end = FuseDirectoryReply.Fitting(entries, 500, size, plus, out bytes);
        var expected = entries.Skip(500).Select(e => FuseDirectoryReply.EntrySize(Encoding.UTF8.GetByteCount(e.Name), plus)).TakeWhile((_, i) => i < end - 500).Sum();
        Assert.Equal(expected, bytes);
        Assert.True(bytes <= size && bytes + FuseDirectoryReply.EntrySize(Encoding.UTF8.GetByteCount(entries[(int)end].Name), plus) > size);
        Assert.Equal(0, new FuseRequest(sink, 4).ReplyDirectory(entries, 500, size, plus));
        Assert.Equal(bytes, ((byte[])sink.Replies[^1].Value!).Length);

        // At the end of the listing: an empty reply, which needs no buffer.
        Assert.Equal(1_000, FuseDirectoryReply.Fitting(entries, 1_000, 1 << 20, plus, out bytes));
        Assert.Equal(0, bytes);
        Assert.Equal(0, new FuseRequest(sink, 5).ReplyDirectory(entries, 1_000, 1 << 20, plus));
        Assert.Empty((byte[])sink.Replies[^1].Value!);
    }

    private static bool Add(FuseDirectoryReply reply, string name) =>
        reply.Plus ? reply.TryAddPlus(name, new FuseEntry { Ino = 7 }, 1) : reply.TryAdd(name, 7, FuseFileMode.RegularFile, 1);
}
