using System.Globalization;
using System.Text;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>What the file system needs to answer getattr for an inode.</summary>
internal readonly record struct InodeInfo(ulong Ino, bool IsDirectory, long Size, long MtimeNs);

/// <summary>
/// The inodes the kernel holds references to (handed out by lookup and readdirplus, given back by forget), and
/// nothing else: the mount's only per-file memory. Each is a struct in one dictionary: its parent's number, its
/// name as UTF-8, size, mtime and ETag (a quoted 32-digit MD5 hex ETag, the usual S3 form, packed into 16 bytes);
/// paths are rebuilt from the parent chain when a file is opened or a directory listed. The kernel keeps a parent's
/// dentry, so its inode, while a child's is referenced: a referenced inode's chain is always complete.
/// </summary>
internal sealed class InodeTable
{
    private const byte Directory = 0, FileHexETag = 1, FileOtherETag = 2, FileNoETag = 3;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Entry> _entries = [];
    private readonly Dictionary<ulong, string> _addresses = []; // the rare file whose address is not source + path
    private readonly string _rootPath;
    private readonly ulong _rootIno;

    public InodeTable(ulong rootIno, string rootPath)
    {
        _rootIno = rootIno;
        _rootPath = rootPath;
        _entries[rootIno] = new Entry { Name = [], Lookups = 1, Kind = Directory };
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(ulong ino, out InodeInfo info)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(ino, out var e))
            {
                info = new InodeInfo(ino, e.Kind == Directory, e.Size, e.MtimeNs);
                return true;
            }
        }

        info = default;
        return false;
    }

    /// <summary>Hands out one reference to the child <paramref name="item"/> of <paramref name="parent"/> (adding it if new).</summary>
    public void Reference(ulong parent, ListingItem item)
    {
        lock (_lock)
        {
            ref var e = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_entries, item.Ino, out var exists);
            if (exists)
            {
                e.Lookups++;
                return;
            }

            e.Parent = parent;
            e.Name = Encoding.UTF8.GetBytes(item.Name);
            e.Lookups = 1;
            if (item.Dir)
            {
                e.Kind = Directory;
                return;
            }

            e.Size = item.Size;
            e.MtimeNs = item.MtimeNs;
            if (item.ETag is null)
            {
                e.Kind = FileNoETag;
            }
            else if (TryPackHexETag(item.ETag, out var high, out var low))
            {
                e.Kind = FileHexETag;
                e.ETagHigh = high;
                e.ETagLow = low;
            }
            else
            {
                // Rare (multipart uploads, other stores): kept after the name, past a NUL no name contains.
                e.Kind = FileOtherETag;
                e.Name = Encoding.UTF8.GetBytes(item.Name + "\0" + item.ETag);
            }

            if (item.Address is not null)
            {
                _addresses[item.Ino] = item.Address;
            }
        }
    }

    /// <summary>Gives back <paramref name="count"/> references; the inode goes at zero (the root never does).</summary>
    public void Forget(ulong ino, ulong count)
    {
        if (ino == _rootIno)
        {
            return;
        }

        lock (_lock)
        {
            ref var e = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_entries, ino);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref e))
            {
                return;
            }

            e.Lookups -= (int)Math.Min(count, int.MaxValue);
            if (e.Lookups <= 0)
            {
                _entries.Remove(ino);
                _addresses.Remove(ino);
            }
        }
    }

    /// <summary>The inode's path in the snapshot ("" for the snapshot root); null when the kernel holds no reference to it.</summary>
    public string? PathOf(ulong ino)
    {
        lock (_lock)
        {
            return PathOfLocked(ino);
        }
    }

    /// <summary>
    /// A file's listing entry and path, rebuilt from the table (the address only when it is not source + path);
    /// null when the inode is unknown or a directory.
    /// </summary>
    public (ListingItem File, string Path)? FileOf(ulong ino)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(ino, out var e) || e.Kind == Directory || PathOfLocked(ino) is not { } path)
            {
                return null;
            }

            var etag = e.Kind switch
            {
                FileHexETag => UnpackHexETag(e.ETagHigh, e.ETagLow),
                FileOtherETag => Encoding.UTF8.GetString(e.Name.AsSpan(e.Name.AsSpan().IndexOf((byte)0) + 1)),
                _ => null,
            };
            var name = Encoding.UTF8.GetString(NameOf(e));
            return (new ListingItem(name, false, e.Size, e.MtimeNs, etag, null, _addresses.GetValueOrDefault(ino), ino), path);
        }
    }

    private string? PathOfLocked(ulong ino)
    {
        if (ino == _rootIno)
        {
            return _rootPath;
        }

        var names = new List<byte[]>();
        for (var current = ino; current != _rootIno;)
        {
            if (!_entries.TryGetValue(current, out var e) || names.Count > 4096)
            {
                return null;
            }

            names.Add(e.Name);
            current = e.Parent;
        }

        var builder = new StringBuilder(_rootPath);
        for (var i = names.Count - 1; i >= 0; i--)
        {
            if (builder.Length > 0)
            {
                builder.Append('/');
            }

            var name = names[i].AsSpan();
            var end = name.IndexOf((byte)0);
            builder.Append(Encoding.UTF8.GetString(end < 0 ? name : name[..end]));
        }

        return builder.ToString();
    }

    /// <summary>A quoted 32-digit lowercase hex ETag (S3's MD5 form) as 16 bytes; exactly reversible by <see cref="UnpackHexETag"/>.</summary>
    internal static bool TryPackHexETag(string etag, out ulong high, out ulong low)
    {
        high = low = 0;
        if (etag.Length != 34 || etag[0] != '"' || etag[33] != '"')
        {
            return false;
        }

        var hex = etag.AsSpan(1, 32);
        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return ulong.TryParse(hex[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out high)
            && ulong.TryParse(hex[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out low);
    }

    internal static string UnpackHexETag(ulong high, ulong low) => string.Create(CultureInfo.InvariantCulture, $"\"{high:x16}{low:x16}\"");

    private static ReadOnlySpan<byte> NameOf(in Entry e)
    {
        var end = e.Name.AsSpan().IndexOf((byte)0);
        return end < 0 ? e.Name : e.Name.AsSpan(0, end);
    }

    /// <summary>56 bytes (72 with the dictionary's own fields) plus the name's array.</summary>
    private struct Entry
    {
        public ulong Parent;
        public byte[] Name; // UTF-8; for FileOtherETag followed by NUL and the ETag
        public long Size;
        public long MtimeNs;
        public ulong ETagHigh;
        public ulong ETagLow;
        public int Lookups;
        public byte Kind;
    }
}
