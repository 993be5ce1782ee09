using System.Collections.Concurrent;
using System.Text;
using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>
/// A tiny read-only tree served through the binding:
/// /hello.txt, /big.bin (300 KiB), /sub/nested.txt, /sub/slow.txt (answered from another thread after a delay).
/// </summary>
internal sealed class InMemoryFuseFileSystem : IFuseFileSystem
{
    public const ulong RootIno = 1;
    public const ulong HelloIno = 2;
    public const ulong BigIno = 3;
    public const ulong SubIno = 4;
    public const ulong NestedIno = 5;
    public const ulong SlowIno = 6;
    public const ulong ThrowsIno = 7;

    public static readonly DateTimeOffset MTime = new(2024, 5, 17, 12, 34, 56, TimeSpan.Zero);
    public static readonly byte[] Hello = Encoding.UTF8.GetBytes("hello, fuse\n");
    public static readonly byte[] Nested = Encoding.UTF8.GetBytes("nested file\n");
    public static readonly byte[] Slow = Encoding.UTF8.GetBytes("answered later from another thread\n");
    public static readonly byte[] Big = MakeBig(300 * 1024);
    public static readonly byte[] XattrValue = Encoding.UTF8.GetBytes("xattr-value");

    private readonly Dictionary<ulong, Node> _nodes = [];
    private readonly ConcurrentDictionary<ulong, long> _lookups = new();
    private long _nextFh;
    private int _readRequests;

    public InMemoryFuseFileSystem()
    {
        Add(new Node(RootIno, RootIno, "", FuseFileMode.Directory | 0x1ED, []));
        Add(new Node(HelloIno, RootIno, "hello.txt", FuseFileMode.RegularFile | 0x1A4, Hello));
        Add(new Node(BigIno, RootIno, "big.bin", FuseFileMode.RegularFile | 0x1A4, Big));
        Add(new Node(SubIno, RootIno, "sub", FuseFileMode.Directory | 0x1ED, []));
        Add(new Node(NestedIno, SubIno, "nested.txt", FuseFileMode.RegularFile | 0x1A4, Nested));
        Add(new Node(SlowIno, SubIno, "slow.txt", FuseFileMode.RegularFile | 0x1A4, Slow));
        Add(new Node(ThrowsIno, SubIno, "throws.txt", FuseFileMode.RegularFile | 0x1A4, Nested));
    }

    public int ReadRequests => Volatile.Read(ref _readRequests);

    public long LookupCount(ulong ino) => _lookups.TryGetValue(ino, out var n) ? n : 0;

    public void Lookup(FuseRequest req, ulong parent, string name)
    {
        var node = _nodes.Values.FirstOrDefault(n => n.Parent == parent && n.Ino != RootIno && n.Name == name);
        if (node is null)
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        // Count before replying: the kernel may send forget as soon as it has the reply.
        _lookups.AddOrUpdate(node.Ino, 1, (_, n) => n + 1);
        if (req.ReplyEntry(EntryOf(node)) != 0)
        {
            _lookups.AddOrUpdate(node.Ino, 0, (_, n) => n - 1);
        }
    }

    public void Forget(ulong ino, ulong nlookup) => _lookups.AddOrUpdate(ino, 0, (_, n) => n - (long)nlookup);

    public void GetAttr(FuseRequest req, ulong ino)
    {
        if (!_nodes.TryGetValue(ino, out var node))
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        req.ReplyAttr(AttrOf(node), 1.0);
    }

    public void OpenDir(FuseRequest req, ulong ino, FuseOpenFlags flags)
    {
        if (!_nodes.TryGetValue(ino, out var node) || (node.Mode & FuseFileMode.TypeMask) != FuseFileMode.Directory)
        {
            req.ReplyError(FuseErrno.ENOTDIR);
            return;
        }

        req.ReplyOpen((ulong)Interlocked.Increment(ref _nextFh), keepCache: false);
    }

    public void ReadDir(FuseRequest req, ulong ino, ulong fh, long offset, int size, bool plus)
    {
        var entries = new List<FuseDirectoryEntry>
        {
            new(".", ino, FuseFileMode.Directory),
            new("..", _nodes[ino].Parent, FuseFileMode.Directory),
        };
        foreach (var child in _nodes.Values.Where(n => n.Parent == ino && n.Ino != RootIno).OrderBy(n => n.Ino))
        {
            entries.Add(new FuseDirectoryEntry(child.Name, child.Ino, child.Mode) { Entry = EntryOf(child) });
        }

        req.ReplyDirectory(entries, offset, size, plus, e => _lookups.AddOrUpdate(e.Ino, 1, (_, n) => n + 1));
    }

    public void ReleaseDir(FuseRequest req, ulong ino, ulong fh) => req.ReplyError(0);

    public void Open(FuseRequest req, ulong ino, int flags)
    {
        if (!_nodes.TryGetValue(ino, out var node) || (node.Mode & FuseFileMode.TypeMask) != FuseFileMode.RegularFile)
        {
            req.ReplyError(FuseErrno.EISDIR);
            return;
        }

        req.ReplyOpen((ulong)Interlocked.Increment(ref _nextFh), keepCache: true);
    }

    public void Read(FuseRequest req, ulong ino, ulong fh, long offset, int size)
    {
        Interlocked.Increment(ref _readRequests);
        if (ino == ThrowsIno)
        {
            throw new InvalidOperationException("read handler failed on purpose");
        }

        var content = _nodes[ino].Content;
        var start = (int)Math.Min(offset, content.Length);
        var length = Math.Min(size, content.Length - start);
        if (ino != SlowIno)
        {
            req.ReplyData(content.AsSpan(start, length));
            return;
        }

        // Return at once and answer from a pool thread later, as a cache waiting on the network would.
        _ = Task.Run(async () =>
        {
            await Task.Delay(50).ConfigureAwait(false);
            req.ReplyData(content.AsSpan(start, length));
        });
    }

    public void Release(FuseRequest req, ulong ino, ulong fh) => req.ReplyError(0);

    public void StatFs(FuseRequest req, ulong ino) => req.ReplyStatFs(new FuseStatFs
    {
        BlockSize = 4096,
        Blocks = 1000,
        FreeBlocks = 250,
        AvailableBlocks = 200,
        Files = 100,
        FreeFiles = 0,
        NameMax = 255,
    });

    public void GetXattr(FuseRequest req, ulong ino, string name, int size)
    {
        if (name == "user.reply-then-throw")
        {
            req.ReplyXattrSize(3);
            throw new InvalidOperationException("thrown after replying, on purpose");
        }

        if (ino != HelloIno || name != "user.test")
        {
            req.ReplyError(FuseErrno.ENODATA);
            return;
        }

        if (size == 0)
        {
            req.ReplyXattrSize(XattrValue.Length);
        }
        else if (size < XattrValue.Length)
        {
            req.ReplyError(FuseErrno.ERANGE);
        }
        else
        {
            req.ReplyData(XattrValue);
        }
    }

    public void ListXattr(FuseRequest req, ulong ino, int size)
    {
        var list = ino == HelloIno ? Encoding.UTF8.GetBytes("user.test\0") : [];
        if (size == 0)
        {
            req.ReplyXattrSize(list.Length);
        }
        else if (size < list.Length)
        {
            req.ReplyError(FuseErrno.ERANGE);
        }
        else
        {
            req.ReplyData(list);
        }
    }

    public void Access(FuseRequest req, ulong ino, int mask) => req.ReplyError(0);

    private static FuseAttr AttrOf(Node node) => new()
    {
        Ino = node.Ino,
        Mode = node.Mode,
        NLink = (node.Mode & FuseFileMode.TypeMask) == FuseFileMode.Directory ? 2u : 1u,
        Size = node.Content.Length,
        ATime = MTime,
        MTime = MTime,
        CTime = MTime,
    };

    private static FuseEntry EntryOf(Node node) => new()
    {
        Ino = node.Ino,
        Attr = AttrOf(node),
        AttrTimeout = 1.0,
        EntryTimeout = 1.0,
    };

    private static byte[] MakeBig(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) ^ (i >> 8));
        }

        return bytes;
    }

    private void Add(Node node) => _nodes.Add(node.Ino, node);

    private sealed record Node(ulong Ino, ulong Parent, string Name, uint Mode, byte[] Content);
}
