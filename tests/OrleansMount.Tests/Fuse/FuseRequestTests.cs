using System.Buffers.Binary;
using System.Text;
using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>The reply surface without a kernel: a recording sink stands in for libfuse.</summary>
[UnitTest]
public sealed class FuseRequestTests
{
    [Fact]
    public void Directory_reply_fills_up_to_size_and_numbers_next_offsets()
    {
        var sink = new RecordingReplySink();
        var req = new FuseRequest(sink, 7);
        var entries = Enumerable.Range(0, 100).Select(i => new FuseDirectoryEntry($"file-{i:D3}", (ulong)(10 + i), FuseFileMode.RegularFile)).ToList();

        // Each plain dirent is 24 bytes + name, padded to 8: "file-000" → 32 bytes. 100 bytes hold 3.
        Assert.Equal(0, req.ReplyDirectory(entries, offset: 5, size: 100, plus: false));

        var (_, kind, value) = Assert.Single(sink.Replies);
        Assert.Equal("data", kind);
        var parsed = ParseDirents((byte[])value!);
        Assert.Equal(["file-005", "file-006", "file-007"], parsed.Select(p => p.Name));
        Assert.Equal([6L, 7L, 8L], parsed.Select(p => p.NextOffset));
        Assert.Equal([15UL, 16UL, 17UL], parsed.Select(p => p.Ino));
        Assert.All(parsed, p => Assert.Equal(8u, p.Type)); // DT_REG
    }

    [Fact]
    public void Readdirplus_counts_references_only_for_entries_that_hand_one_out()
    {
        var sink = new RecordingReplySink();
        var req = new FuseRequest(sink, 8);
        var entries = new List<FuseDirectoryEntry>
        {
            new(".", 1, FuseFileMode.Directory),
            new("..", 1, FuseFileMode.Directory),
            new("a", 2, FuseFileMode.RegularFile) { Entry = new FuseEntry { Ino = 2, Attr = new FuseAttr { Ino = 2, Mode = FuseFileMode.RegularFile } } },
            new("b", 3, FuseFileMode.RegularFile) { Entry = new FuseEntry { Ino = 3, Attr = new FuseAttr { Ino = 3, Mode = FuseFileMode.RegularFile } } },
        };
        var referenced = new List<string>();

        req.ReplyDirectory(entries, 0, 4096, plus: true, e => referenced.Add(e.Name));

        Assert.Equal(["a", "b"], referenced);
        var bytes = (byte[])Assert.Single(sink.Replies).Value!;
        Assert.Equal(4 * (152 + 8), bytes.Length); // fuse_entry_out (128) + dirent header (24) + short name padded.
    }

    [Fact]
    public void Replies_go_to_the_sink_with_the_request_handle()
    {
        var sink = new RecordingReplySink();
        var req = new FuseRequest(sink, 9);

        req.ReplyError(FuseErrno.ENOENT);
        req.ReplyData(Encoding.ASCII.GetBytes("abc"));

        Assert.Equal([(9, "error"), (9, "data")], sink.Replies.Select(r => (r.Request, r.Kind)));
        Assert.Equal(1000u, req.Uid);
        Assert.Equal(42, req.Pid);
        Assert.Throws<InvalidOperationException>(() => default(FuseRequest).ReplyError(FuseErrno.EIO));
    }

    private static List<(ulong Ino, long NextOffset, uint Type, string Name)> ParseDirents(byte[] buffer)
    {
        var result = new List<(ulong, long, uint, string)>();
        var span = buffer.AsSpan();
        while (span.Length >= 24)
        {
            var ino = BinaryPrimitives.ReadUInt64LittleEndian(span);
            var off = BinaryPrimitives.ReadInt64LittleEndian(span[8..]);
            var nameLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(span[20..]);
            result.Add((ino, off, type, Encoding.UTF8.GetString(span.Slice(24, nameLength))));
            span = span[((24 + nameLength + 7) & ~7)..];
        }

        return result;
    }
}
