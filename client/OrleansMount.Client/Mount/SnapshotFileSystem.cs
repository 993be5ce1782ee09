using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Native.Fuse;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Client.Mount;

/// <summary>
/// The read-only file system of one snapshot. Kernel-cache rules (see src/OrleansMount.Native/Fuse/README.md):
/// the snapshot never changes, so entries and attributes carry long timeouts, files open with
/// keep_cache and directories with cache_readdir, and inode numbers are the snapshot's own (the silo sends
/// them with each listing: unique within the snapshot and the same on every mount, see <see cref="InodeNumbers"/>).
/// Metadata is asked of the silo by name (lookup: one point read) or a page at a time (readdir: an open
/// directory holds one page of <see cref="ListingPageSize"/> children); the mount keeps only the inodes the kernel
/// holds references to (lookup/forget counts) and at most <see cref="RecentLookups"/> more, in one compact
/// <see cref="InodeTable"/>, so nothing grows with the snapshot's size. File bytes come
/// from chunk files on this node's disk when they are there, else through the silo. No libfuse
/// thread waits on the network: anything not in memory is answered when its task completes.
/// </summary>
public sealed class SnapshotFileSystem : IFuseFileSystem, IDisposable
{
    public const ulong RootIno = InodeNumbers.Root;
    public const string IdentityXattr = "user.orleansmount.identity";
    public const string AddressXattr = "user.orleansmount.address";

    /// <summary>
    /// Children asked of the silo per readdir page: what an open directory holds in memory at most (two pages). A reply to
    /// the kernel ends at its page's end, so a directory of a few thousand files (an ImageNet class has 732-1,300) fits
    /// one page and one upcall: 2,000 instead of 1,000 took a first `find` of 1.28M files from 3.4-3.8 s to 2.6 s
    /// (decision 0031).
    /// </summary>
    public const int ListingPageSize = 2_000;

    /// <summary>Inodes remembered with no kernel reference (~80 B each in the inode table): a bound, not a budget per file.</summary>
    public const int RecentLookups = 32_768;

    private readonly IMountBackend _backend;
    private readonly MountOptions _options;
    private readonly ILogger _logger;
    private readonly InodeTable _inodes;
    private readonly ConcurrentDictionary<ulong, OpenFile> _handles = new();
    private readonly ConcurrentDictionary<ulong, OpenDirectory> _directoryHandles = new();
    private readonly DirectoryReadahead _directoryAhead;
    private readonly ListingAttributes _listing = new();
    private readonly LookupWindows _windows;
    private readonly DateTimeOffset _mountTime;
    private long _nextHandle;
    private long _errors;
    private long _relisted; // directories whose names-only listing the kernel was told to drop at opendir
    private long _dataHere; // pages sent with attributes in names-only mode because their files' data is on this node
    private long _invalidations; // ... or while a stat walk read it
    private readonly ConcurrentDictionary<ulong, byte> _invalidated = new(); // directories invalidated once (bounded)
    private const int MaxInvalidated = 4_096;
    private long _lookups;

    public SnapshotFileSystem(IMountBackend backend, MountOptions options, ILogger logger, DateTimeOffset snapshotTime)
    {
        _backend = backend;
        _options = options;
        _logger = logger;
        _mountTime = snapshotTime;
        // Names listed by readdir, and inodes the kernel forgot (drop_caches, memory pressure), stay in the table up to
        // RecentLookups, so a dataset read again soon (the next epoch) costs no silo round trip per file.
        _inodes = new InodeTable(RootIno, options.RootPath, RecentLookups);
        Readahead = new Readahead(backend, options.ReadaheadChunks, logger);
        Streams = options.StreamMemory > 0 ? new ChunkStreams(options.StreamMemory) : null;
        FileReadahead = new FileReadahead((after, files, ct) => backend.ReadaheadFilesAsync(options.RootPath, after, files, ct), options.ReadaheadFiles, logger, RememberAhead);
        _directoryAhead = new DirectoryReadahead((ino, path) => FetchPageAsync(ino, path, null, 2));
        _windows = new LookupWindows(
            (directory, from, isCursor, size) => isCursor
                ? backend.ListAsync(directory, from, size, CancellationToken.None)
                : backend.ListFromAsync(directory, from, size, CancellationToken.None),
            (parent, directory, items) => Keep(parent, directory, items, remember: true),
            _inodes.Lookup,
            FetchLookupAsync);
    }

    /// <summary>Whether directories are listed with their files' attributes now, and lookup windows fetched (counters for logs and tests).</summary>
    public (bool WithAttributes, long Switches, long Relisted, long Invalidated, long Lookups, long Windows, long WindowsAhead, long DataHere) Listing =>
        (_listing.WithAttributes, _listing.Switches, Interlocked.Read(ref _relisted), Interlocked.Read(ref _invalidations), Interlocked.Read(ref _lookups), _windows.Fetched, _windows.Ahead, Interlocked.Read(ref _dataHere));

    /// <summary>
    /// Makes the kernel drop its cached listing of a directory (<see cref="FuseSession.InvalidateInode"/>); set by the
    /// mount once its session exists, null in tests without a kernel.
    /// </summary>
    public Action<ulong>? InvalidateDirectory { get; set; }

    /// <summary>Chunks streamed from the silo while it fills them (null: off).</summary>
    public ChunkStreams? Streams { get; }

    /// <summary>Fetching ahead of sequential readers (counters for logs and tests).</summary>
    public Readahead Readahead { get; }

    /// <summary>Fetching the next files' first chunks ahead of readers opening files in key order.</summary>
    public FileReadahead FileReadahead { get; }

    /// <summary>Watches reads that had to go to the object store for readers walking the dataset, then prefetches it (null: off).</summary>
    internal WarmUp? WarmUp { get; set; }

    /// <summary>Directory pages fetched ahead of opendir, and how many were used (counters for logs and tests).</summary>
    public (long Fetched, long Used) DirectoryReadahead => (_directoryAhead.Fetched, _directoryAhead.Hits);

    public long Errors => Interlocked.Read(ref _errors);

    public int NodeCount => _inodes.Count;

    /// <summary>The inode table's size: inodes the kernel references, recent ones, and the bytes they take (for logs).</summary>
    public (int Referenced, int Recent, long Bytes) InodeTableSize => (_inodes.Count, _inodes.RecentCount, _inodes.MemoryBytes);

    public void Lookup(FuseRequest req, ulong parent, string name)
    {
        if (!_inodes.TryGet(parent, out var dir) || !dir.IsDirectory || _inodes.PathOf(parent) is not { } directory)
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        if (!PathRules.IsValidName(name))
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        Run(req, LookupAsync(parent, directory, name), item =>
        {
            if (item is null)
            {
                // ino 0 with a timeout: the kernel caches the negative entry.
                req.ReplyEntry(new FuseEntry { Ino = 0, EntryTimeout = _options.CacheTimeoutSeconds });
                return;
            }

            _inodes.Reference(parent, item);
            if (req.ReplyEntry(EntryFor(item)) != 0)
            {
                Forget(item.Ino, 1);
            }
        });
    }

    public void Forget(ulong ino, ulong nlookup) => _inodes.Forget(ino, nlookup);

    public void GetAttr(FuseRequest req, ulong ino)
    {
        if (_inodes.TryGet(ino, out var node))
        {
            req.ReplyAttr(AttrFor(node), _options.CacheTimeoutSeconds);
        }
        else
        {
            req.ReplyError(FuseErrno.ENOENT);
        }
    }

    public void OpenDir(FuseRequest req, ulong ino, FuseOpenFlags flags)
    {
        if (!_inodes.TryGet(ino, out var node) || _inodes.PathOf(ino) is not { } path)
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        if (!node.IsDirectory)
        {
            req.ReplyError(FuseErrno.ENOTDIR);
            return;
        }

        // Names only unless stat walks follow listings (ListingAttributes); a listing the kernel caches names only is
        // sent again, with attributes, when they are wanted: without keep_cache the kernel drops its copy.
        var withAttributes = _listing.Open(ino);
        var keepCache = !(withAttributes && _inodes.TakeListedNamesOnly(ino));
        if (!keepCache)
        {
            Interlocked.Increment(ref _relisted);
        }

        var fh = (ulong)Interlocked.Increment(ref _nextHandle);
        _directoryHandles[fh] = new OpenDirectory(ino, path);
        req.ReplyOpen(fh, keepCache: keepCache, cacheReaddir: true);
    }

    public void ReadDir(FuseRequest req, ulong ino, ulong fh, long offset, int size, bool plus)
    {
        if (!_directoryHandles.TryGetValue(fh, out var directory))
        {
            req.ReplyError(FuseErrno.EBADF);
            return;
        }

        Run(req, directory.PageAtAsync(this, offset), page =>
        {
            // Decided per reply: a listing the kernel is still reading switches with the mode (ListingAttributes). A
            // page whose files' data is already on this node goes with attributes whatever the mode (decision 0033). A
            // plain readdir (the kernel's choice) leaves the kernel without attributes too.
            var namesOnly = _listing.NamesOnly(directory.Ino) && !DataIsHere(directory.Path, page);
            if (!plus || namesOnly)
            {
                _inodes.MarkListedNamesOnly(directory.Ino);
            }

            req.ReplyDirectory(new DirectoryEntries(this, directory.Ino, page, namesOnly), offset, size, plus, e => _inodes.Reference(directory.Ino, page.Find(e.Name)!));
        });
    }

    public void ReleaseDir(FuseRequest req, ulong ino, ulong fh)
    {
        _directoryHandles.TryRemove(fh, out _);
        req.ReplyError(0);
    }

    public void Open(FuseRequest req, ulong ino, int flags)
    {
        if (!_inodes.TryGet(ino, out var node))
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        if (node.IsDirectory)
        {
            req.ReplyError(FuseErrno.EISDIR);
            return;
        }

        if (_inodes.FileOf(ino) is not var (item, path))
        {
            req.ReplyError(FuseErrno.ENOENT); // forgotten meanwhile
            return;
        }

        if ((flags & 3) != 0 || (flags & 0x200) != 0)
        {
            req.ReplyError(FuseErrno.EROFS); // O_WRONLY, O_RDWR or O_TRUNC
            return;
        }

        var fh = (ulong)Interlocked.Increment(ref _nextHandle);
        // Backward retention: the chunk being read, the one a read may span into, and the ones behind.
        _handles[fh] = new OpenFile(item, AddressOf(path, item), _options.ReadaheadBackChunks + 2, Readahead.CreateDetector(item.Size));
        req.ReplyOpen(fh, keepCache: true);
        FileReadahead.OnOpen(ino, path);
    }

    public void Read(FuseRequest req, ulong ino, ulong fh, long offset, int size)
    {
        if (!_handles.TryGetValue(fh, out var file))
        {
            req.ReplyError(FuseErrno.EBADF);
            return;
        }

        var length = (int)Math.Clamp(file.Item.Size - offset, 0, size);
        if (length == 0)
        {
            req.ReplyData([]);
            return;
        }

        Readahead.OnRead(file, offset, length);
        _ = ReadAsync(req, file, offset, length);
    }

    public void Release(FuseRequest req, ulong ino, ulong fh)
    {
        if (_handles.TryRemove(fh, out var file))
        {
            file.Dispose();
        }

        req.ReplyError(0);
    }

    public void StatFs(FuseRequest req, ulong ino)
    {
        req.ReplyStatFs(new FuseStatFs
        {
            BlockSize = 4096,
            FragmentSize = 4096,
            Blocks = 0,
            FreeBlocks = 0,
            AvailableBlocks = 0,
            Files = (ulong)_inodes.Count,
            FreeFiles = 0,
            AvailableFiles = 0,
            NameMax = PathRules.MaxNameBytes,
        });
    }

    public void GetXattr(FuseRequest req, ulong ino, string name, int size)
    {
        if (!_options.ExtendedAttributes)
        {
            req.ReplyError(FuseErrno.ENOSYS); // the kernel stops sending getxattr for this mount
            return;
        }

        if (!_inodes.TryGet(ino, out _))
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        var value = _inodes.FileOf(ino) is not var (file, path) ? null : name switch
        {
            IdentityXattr => ObjectIdentity.Compute(AddressOf(path, file), file.ETag!, file.Size).ToString(),
            AddressXattr => AddressOf(path, file),
            _ => null,
        };
        if (value is null)
        {
            req.ReplyError(FuseErrno.ENODATA);
            return;
        }

        ReplyXattr(req, Encoding.UTF8.GetBytes(value), size);
    }

    public void ListXattr(FuseRequest req, ulong ino, int size)
    {
        if (!_options.ExtendedAttributes)
        {
            req.ReplyError(FuseErrno.ENOSYS);
            return;
        }

        if (!_inodes.TryGet(ino, out var node))
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        var names = node.IsDirectory ? "" : IdentityXattr + "\0" + AddressXattr + "\0";
        ReplyXattr(req, Encoding.UTF8.GetBytes(names), size);
    }

    public void Access(FuseRequest req, ulong ino, int mask)
    {
        const int W_OK = 2;
        if (!_inodes.TryGet(ino, out _))
        {
            req.ReplyError(FuseErrno.ENOENT);
            return;
        }

        req.ReplyError((mask & W_OK) != 0 ? FuseErrno.EROFS : 0);
    }

    public void Dispose()
    {
        foreach (var file in _handles.Values)
        {
            file.Dispose();
        }

        _handles.Clear();
        _inodes.Dispose();
    }

    private static void ReplyXattr(FuseRequest req, byte[] value, int size)
    {
        if (size == 0)
        {
            req.ReplyXattrSize(value.Length);
        }
        else if (size < value.Length)
        {
            req.ReplyError(FuseErrno.ERANGE);
        }
        else
        {
            req.ReplyData(value);
        }
    }

    private async Task ReadAsync(FuseRequest req, OpenFile file, long offset, int length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var chunkSize = _backend.ChunkSize;
            var written = 0;
            foreach (var (index, within, count) in ChunkMath.Slices(file.Item.Size, chunkSize, offset, length))
            {
                await ReadChunkSliceAsync(file, index, within, buffer.AsMemory(written, count)).ConfigureAwait(false);
                written += count;
            }

            req.ReplyData(buffer.AsSpan(0, written));
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _errors);
            var what = e is SiloException { Kind: SiloError.ObjectChanged } or ObjectChangedException
                ? "the object changed in the bucket after import"
                : e is SiloException { Unreachable: true } ? "the silo is unreachable" : "read failed";
            _logger.LogError("read of {Address} at {Offset} (+{Length}) failed, EIO: {What}: {Message}", file.Address, offset, length, what, e.Message);
            req.ReplyError(FuseErrno.EIO);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// One chunk's part of a read. From the node's chunk file when it is there (every block the read returns
    /// checked against the file's block checksums, on every read); a file that fails a check is never served:
    /// it is reported to the silo, which removes it and fills the chunk again (from a peer or the object store),
    /// and the read tries again. A chunk not on disk yet is streamed by the silo as it fills it (decision 0035),
    /// each block checked before it is served; a stream cut short sends the read to the silo's ensure. Through the
    /// silo when the file cannot be read here.
    /// </summary>
    private async Task ReadChunkSliceAsync(OpenFile file, int index, int within, Memory<byte> destination)
    {
        var request = file.Request(index, _backend.ChunkSize, _backend.SnapshotName, _backend.SnapshotId);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // The chunk file first, once it is there (checked block by block, and damage is reported); a stream only
            // while it is not.
            string? damage = null;
            var local = file.Cached(index) ?? OpenLocal(file, request, out damage);
            if (damage is not null)
            {
                // There but failing its check: reported, then the read asks the silo again (not a stream that may
                // still hold the chunk: the damage must reach the silo).
                await ReportDamagedAsync(file, request, damage).ConfigureAwait(false);
                continue;
            }

            if (local is null)
            {
                if (_backend.LocalChunkPath(request.Id) is null)
                {
                    break; // the node's chunk files are not readable here: the silo sends the bytes
                }

                ChunkLocation? location = null;
                // A chunk the readahead named is being filled ahead of the reader: the read joins that fill and reads the
                // file, one copy of the chunk less than a stream of it (decision 0035). Any other one streams (a stream
                // of it in flight, or ended moments ago while the silo writes the file, is joined).
                if (attempt == 0 && file.Detector?.FetchingAhead(index) != true && Streams?.JoinOrStart(_backend, request, _options.StreamTimeout) is { } stream)
                {
                    (var served, location) = await TryServeStreamAsync(stream, file, request, within, destination).ConfigureAwait(false);
                    if (served)
                    {
                        return;
                    }
                }

                var known = location ?? await _backend.EnsureChunkAsync(request, CancellationToken.None).ConfigureAwait(false);

                if (known.Tier == ChunkTier.ObjectStore)
                {
                    WarmUp?.ColdRead(file.Item.Ino, file.Address);
                }

                if (!known.Cached)
                {
                    break; // not cacheable on this node (disk full): the silo streams it
                }

                local = OpenLocal(file, request, out var problem);
                if (local is null)
                {
                    // Evicted between ensure and open, or damaged on disk.
                    await ReportDamagedAsync(file, request, problem).ConfigureAwait(false);
                    continue;
                }
            }

            try
            {
                if (local.Read(within, destination.Span) == destination.Length)
                {
                    return;
                }
            }
            catch (ObjectDisposedException)
            {
                // Closed by the handle's chunk window while we read: open it again.
            }
            catch (ChunkDamagedException e)
            {
                // The disk changed under a file that passed its checks before: none of these bytes are served.
                file.Drop(index, local);
                _logger.LogWarning("chunk {Index} of {Address}: {Problem}; reported to the silo, reading it again", index, file.Address, e.Message);
                await _backend.ReportDamagedChunkAsync(request, CancellationToken.None).ConfigureAwait(false);
            }
        }

        // No usable file on this node: the silo sends the bytes (checking its own copy, refilling a damaged one).
        var chunk = ArrayPool<byte>.Shared.Rent(request.Length);
        try
        {
            await _backend.ReadChunkAsync(request, chunk.AsMemory(0, request.Length), CancellationToken.None).ConfigureAwait(false);
            chunk.AsSpan(within, destination.Length).CopyTo(destination.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>
    /// A chunk file that failed its check (<paramref name="problem"/>; null when it was not there at all) is reported:
    /// the silo checks its copy in full and deletes (and counts) a damaged one, so the next ensure fills it again.
    /// </summary>
    private async Task ReportDamagedAsync(OpenFile file, Grains.Chunks.ChunkRequest request, string? problem)
    {
        if (problem is not null)
        {
            _logger.LogWarning("chunk {Index} of {Address}: the chunk file failed its check ({Problem}); reported to the silo, reading it again", request.Index, file.Address, problem);
        }

        await _backend.ReportDamagedChunkAsync(request, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves a read from a chunk's stream (the reference taken on it is released here). Not served: where the silo
    /// said the chunk is (it did not stream it), or no location when the stream was cut before the bytes the read needs
    /// arrived checked (the read then asks for an ensure). The silo's error, such as an object changed after import, is
    /// the read's error, as from an ensure.
    /// </summary>
    private async Task<(bool Served, ChunkLocation? Location)> TryServeStreamAsync(ChunkStream stream, OpenFile file, Grains.Chunks.ChunkRequest request, int within, Memory<byte> destination)
    {
        try
        {
            if (await stream.Answer.ConfigureAwait(false) is { } location)
            {
                return (false, location);
            }

            await stream.CopyAsync(within, destination).ConfigureAwait(false);
            WarmUp?.ColdRead(file.Item.Ino, file.Address);
            return (true, null);
        }
        catch (ChunkStreamCutException e)
        {
            _logger.LogWarning("chunk {Index} of {Address}: {Problem}; asking the silo for it again", request.Index, file.Address, e.Message);
            return (false, null);
        }
        finally
        {
            stream.Release();
        }
    }

    /// <summary>Opens the node's chunk file (header checked); null when absent, or with a <paramref name="problem"/> when it failed a check.</summary>
    private ChunkHandle? OpenLocal(OpenFile file, Grains.Chunks.ChunkRequest request, out string? problem)
    {
        problem = null;
        var path = _backend.LocalChunkPath(request.Id);
        var local = path is null ? null : ChunkHandle.TryOpen(path, request.Id, request.Length, out problem);
        if (local is not null)
        {
            file.Keep(request.Index, local);
        }

        return local;
    }

    private void Run<T>(FuseRequest req, Task<T> pending, Action<T> reply)
    {
        if (pending.IsCompletedSuccessfully)
        {
            reply(pending.Result);
            return;
        }

        _ = Complete();

        async Task Complete()
        {
            try
            {
                reply(await pending.ConfigureAwait(false));
            }
            catch (SiloException e) when (e.Kind == SiloError.NotFound)
            {
                req.ReplyError(FuseErrno.ENOENT);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _errors);
                _logger.LogError("metadata request failed, EIO: {Message}", e.Message);
                req.ReplyError(FuseErrno.EIO);
            }
        }
    }

    /// <summary>
    /// One name in one directory: from the inode table when it holds it (referenced or recent); else from a window of
    /// the directory's listing starting at the name (<see cref="LookupWindows"/>), whether the kernel was listed the
    /// directory names only (a stat walk follows) or never listed it (readers opening files by name, from a manifest):
    /// decision 0037.
    /// </summary>
    private Task<ListingItem?> LookupAsync(ulong parent, string directory, string name)
    {
        Interlocked.Increment(ref _lookups);
        var namesOnly = _inodes.ListedNamesOnly(parent);
        if (namesOnly)
        {
            _listing.LookedUp(parent);
            if (_listing.WithAttributes && InvalidateDirectory is { } invalidate && _invalidated.TryAdd(parent, 0))
            {
                // A stat walk over a names-only listing the kernel caches, perhaps still reading it: the kernel
                // drops it and reads on with upcalls, answered with attributes. Off this request's thread: the
                // kernel may wait for requests on the directory to finish.
                Interlocked.Increment(ref _invalidations);
                _ = Task.Run(() => invalidate(parent));
                if (_invalidated.Count > MaxInvalidated)
                {
                    _invalidated.Clear();
                }
            }
        }

        if (_inodes.Lookup(parent, name) is { } known)
        {
            _windows.Hit(parent, directory, name);

            return Task.FromResult<ListingItem?>(known);
        }

        return _windows.LookupAsync(parent, directory, name);
    }

    /// <summary>A silo listing's items as the mount keeps them (checked, compacted), remembered as recent children of <paramref name="parent"/> when asked.</summary>
    private ListingItem[] Keep(ulong parent, string directory, IReadOnlyList<ListingItem> items, bool remember)
    {
        var kept = new ListingItem[items.Count];
        for (var i = 0; i < kept.Length; i++)
        {
            kept[i] = Compact(directory, Checked(directory, items[i]));
            if (remember)
            {
                _inodes.Remember(parent, kept[i]);
            }
        }

        return kept;
    }

    private async Task<ListingItem?> FetchLookupAsync(string directory, string name)
    {
        var item = await _backend.LookupAsync(directory, name, CancellationToken.None).ConfigureAwait(false);
        return item is null
            ? null // the kernel caches the negative entry itself
            : Compact(directory, Checked(directory, item)); // the reply references it in the table
    }

    /// <summary>One page of a directory from the silo, its items compacted.</summary>
    private async Task<DirectoryPageView> FetchPageAsync(ulong directoryIno, string directory, string? after, long firstOffset)
    {
        var listing = await _backend.ListAsync(directory, after, ListingPageSize, CancellationToken.None).ConfigureAwait(false);
        // Listed children are kept for the lookups that may follow while the recent inodes have room; a walk of more
        // than that would only churn the table (each sweep drops them all), and lookups after a names-only listing ask
        // windows of it (LookupWindows). Readdirplus with attributes references what it sends anyway.
        var items = Keep(directoryIno, directory, listing.Items, remember: _inodes.RecentCount + listing.Items.Count <= RecentLookups);
        List<(ulong, string)> subdirectories = [];
        foreach (var item in items)
        {
            if (item.Dir)
            {
                subdirectories.Add((item.Ino, PathRules.Join(directory, item.Name)));
            }
        }

        _directoryAhead.Listed(directoryIno, after is null, subdirectories);
        return new DirectoryPageView(firstOffset, items, listing.Next);
    }

    /// <summary>
    /// Keeps the entries of files read ahead (named by snapshot path) as recent inodes of their directories, so the
    /// walk's next lookups are answered here. A directory the table does not hold (not looked up or listed yet) is
    /// skipped: its files' lookups ask the silo as usual.
    /// </summary>
    private void RememberAhead(IReadOnlyList<ListingItem> files)
    {
        string? directory = null;
        ulong? directoryIno = null;
        foreach (var file in files)
        {
            var slash = file.Name.LastIndexOf('/');
            var parent = slash < 0 ? "" : file.Name[..slash];
            if (parent != directory)
            {
                directory = parent;
                directoryIno = DirectoryInoOf(parent);
            }

            if (directoryIno is { } ino && file.Ino != 0 && !file.Dir)
            {
                _inodes.Remember(ino, Compact(parent, file with { Name = file.Name[(slash + 1)..] }));
            }
        }
    }

    /// <summary>The inode of the snapshot directory <paramref name="path"/> when the table holds it and every directory above it.</summary>
    private ulong? DirectoryInoOf(string path)
    {
        var root = _options.RootPath;
        if (path == root)
        {
            return RootIno;
        }

        var prefix = root.Length == 0 ? "" : root + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var ino = RootIno;
        foreach (var segment in path[prefix.Length..].Split('/'))
        {
            if (_inodes.Lookup(ino, segment) is not { Dir: true } child)
            {
                return null;
            }

            ino = child.Ino;
        }

        return ino;
    }

    private static ListingItem Checked(string directory, ListingItem item) =>
        item.Ino != 0 ? item : throw new InvalidDataException($"the silo listed directory '{directory}' without inode numbers: it is older than this mount, upgrade it");

    /// <summary>
    /// What a cached listing keeps of an item: no identity (recomputed when asked for) and no address
    /// when it is the snapshot source plus the path, which is almost always: memory per file matters.
    /// </summary>
    private ListingItem Compact(string directory, ListingItem item) =>
        item.Dir
            ? item
            : item with { Identity = null, Address = item.Address is null || item.Address == _options.SourceAddress + PathRules.Join(directory, item.Name) ? null : item.Address };

    private string AddressOf(string path, ListingItem file) => file.Address ?? _options.SourceAddress + path;

    /// <summary>Files of a page whose first chunk is looked for on this node (<see cref="DataIsHere"/>).</summary>
    internal const int DataHereSample = 3;

    /// <summary>
    /// Whether the data of a listing page's files is on this node already: the first <see cref="DataHereSample"/> files
    /// with bytes each have their first chunk in the node's cache (decided once per page: a stat each). Data a prefetch
    /// (<c>--every-node</c>) or an earlier epoch put here is about to be read, so the files will be opened: sent with
    /// attributes, the kernel opens them without a lookup each, where a names-only listing (decision 0031, right for
    /// walks of names over data nobody fetched) cost the first epoch after a prefetch one lookup upcall per file (decision 0033).
    /// </summary>
    private bool DataIsHere(string directory, DirectoryPageView page)
    {
        var known = Volatile.Read(ref page.DataHere);
        if (known != 0)
        {
            return known == 1;
        }

        var sampled = 0;
        var here = true;
        foreach (var item in page.Items)
        {
            if (item.Dir || item.Size == 0 || item.ETag is null)
            {
                continue;
            }

            var identity = ObjectIdentity.Compute(AddressOf(PathRules.Join(directory, item.Name), item), item.ETag, item.Size);
            if (_backend.LocalChunkPath(new ChunkId(identity, 0)) is not { } chunk || !File.Exists(chunk))
            {
                here = false;
                break;
            }

            if (++sampled == DataHereSample)
            {
                break;
            }
        }

        here &= sampled > 0;
        if (Interlocked.CompareExchange(ref page.DataHere, here ? 1 : 2, 0) == 0 && here)
        {
            Interlocked.Increment(ref _dataHere);
        }

        return here;
    }

    private FuseDirectoryEntry EntryAt(ulong directory, DirectoryPageView page, int index, bool namesOnly)
    {
        if (index < 2)
        {
            var dirAttr = AttrFor(directory, null);
            return index == 0
                ? new FuseDirectoryEntry(".", directory, dirAttr.Mode) { Entry = new FuseEntry { Ino = directory, Attr = dirAttr, AttrTimeout = _options.CacheTimeoutSeconds, EntryTimeout = _options.CacheTimeoutSeconds } }
                : new FuseDirectoryEntry("..", RootIno, dirAttr.Mode);
        }

        var item = page.ItemAt(index);
        var ino = item.Ino;
        if (namesOnly && !item.Dir)
        {
            // Node id 0: the kernel lists the name (number and type from the attributes) and builds no inode for it.
            var mode = ModeFor(directory: false);
            return new FuseDirectoryEntry(item.Name, ino, mode) { Entry = new FuseEntry { Ino = 0, Attr = new FuseAttr { Ino = ino, Mode = mode } } };
        }

        var attr = AttrFor(ino, item.Dir ? null : item);
        return new FuseDirectoryEntry(item.Name, ino, attr.Mode)
        {
            Entry = new FuseEntry { Ino = ino, Attr = attr, AttrTimeout = _options.CacheTimeoutSeconds, EntryTimeout = _options.CacheTimeoutSeconds },
        };
    }

    /// <summary>
    /// The readdir entries up to the end of one page: ".", "..", then the directory's children at offsets 2, 3, …
    /// (a child's readdir offset is its position in the listing plus 2). Only the page's own positions are read:
    /// <see cref="FuseRequest.ReplyDirectory"/> starts at the offset asked for, which lies in this page.
    /// </summary>
    private sealed class DirectoryEntries(SnapshotFileSystem fs, ulong directory, DirectoryPageView page, bool namesOnly) : IReadOnlyList<FuseDirectoryEntry>
    {
        public int Count => (int)Math.Min(int.MaxValue, page.EndOffset);

        public FuseDirectoryEntry this[int index] => fs.EntryAt(directory, page, index, namesOnly);

        public IEnumerator<FuseDirectoryEntry> GetEnumerator()
        {
            for (var i = (int)Math.Max(0, page.FirstOffset - 2); i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The children of one directory a silo page gave, at readdir offsets <see cref="FirstOffset"/> onwards.</summary>
    internal sealed class DirectoryPageView(long firstOffset, ListingItem[] items, string? next)
    {
        public long FirstOffset { get; } = firstOffset;

        public long EndOffset => FirstOffset + items.Length;

        /// <summary>The cursor of the page after this one; null when this page ends the directory.</summary>
        public string? Next { get; } = next;

        public ListingItem ItemAt(long offset) => items[offset - FirstOffset];

        /// <summary>The page's items in listing order.</summary>
        public ReadOnlySpan<ListingItem> Items => items;

        /// <summary><see cref="SnapshotFileSystem.DataIsHere"/> of this page once decided: 0 not yet, 1 yes, 2 no.</summary>
        public int DataHere;

        private Dictionary<string, ListingItem>? _byName;

        /// <summary>The page's child named <paramref name="name"/> (readdirplus hands out a reference to each entry it sends).</summary>
        public ListingItem? Find(string name)
        {
            var byName = Volatile.Read(ref _byName);
            if (byName is null)
            {
                byName = new Dictionary<string, ListingItem>(items.Length, StringComparer.Ordinal);
                foreach (var item in items)
                {
                    byName[item.Name] = item;
                }

                Volatile.Write(ref _byName, byName);
            }

            return byName.GetValueOrDefault(name);
        }
    }

    /// <summary>
    /// A directory opened by opendir: the page readdir is in, fetched from the silo as the offset moves on, and the
    /// next page fetched while the kernel reads this one. Memory is two pages whatever the directory's size; a seek
    /// backwards (rewinddir, seekdir) lists again from the start. The first page may come from
    /// <see cref="DirectoryReadahead"/>.
    /// </summary>
    private sealed class OpenDirectory(ulong ino, string path)
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private DirectoryPageView? _page;
        private Task<DirectoryPageView>? _next;

        public ulong Ino { get; } = ino;

        public string Path { get; } = path;

        public Task<DirectoryPageView> PageAtAsync(SnapshotFileSystem fs, long offset)
        {
            var page = Volatile.Read(ref _page);
            if (page is not null && Holds(page, offset))
            {
                return Task.FromResult(page);
            }

            return MoveAsync(fs, offset);
        }

        private static bool Holds(DirectoryPageView page, long offset) =>
            (offset >= page.FirstOffset || page.FirstOffset == 2) && (offset < page.EndOffset || page.Next is null);

        private async Task<DirectoryPageView> MoveAsync(SnapshotFileSystem fs, long offset)
        {
            await _lock.WaitAsync().ConfigureAwait(false);
            try
            {
                var page = _page;
                if (page is null || offset < page.FirstOffset)
                {
                    _next = null;
                    page = await fs._directoryAhead.FirstPageAsync(Ino, Path).ConfigureAwait(false);
                }

                while (!Holds(page, offset))
                {
                    page = await NextAsync(fs, page).ConfigureAwait(false);
                }

                if (page.Next is not null && _next is null)
                {
                    var after = page;
                    _next = Mount.DirectoryReadahead.InBackground(() => fs.FetchPageAsync(Ino, Path, after.Next, after.EndOffset));
                }

                Volatile.Write(ref _page, page);
                return page;
            }
            finally
            {
                _lock.Release();
            }
        }

        /// <summary>The page after <paramref name="page"/>: the one fetched ahead when it did not fail, else fetched now.</summary>
        private async Task<DirectoryPageView> NextAsync(SnapshotFileSystem fs, DirectoryPageView page)
        {
            var ahead = _next;
            _next = null;
            if (await Mount.DirectoryReadahead.SucceededAsync(ahead).ConfigureAwait(false) is { } next && next.FirstOffset == page.EndOffset)
            {
                return next;
            }

            // Not fetched ahead, or failed: fetched now, so a failure that lasts is reported to the readdir that needs the page.
            return await fs.FetchPageAsync(Ino, Path, page.Next, page.EndOffset).ConfigureAwait(false);
        }
    }

    private FuseEntry EntryFor(ListingItem item) => new()
    {
        Ino = item.Ino,
        Attr = AttrFor(item.Ino, item.Dir ? null : item),
        AttrTimeout = _options.CacheTimeoutSeconds,
        EntryTimeout = _options.CacheTimeoutSeconds,
    };

    private FuseAttr AttrFor(InodeInfo node) => AttrFor(node.Ino, node.IsDirectory, node.Size, node.MtimeNs);

    private FuseAttr AttrFor(ulong ino, ListingItem? file) => AttrFor(ino, file is null, file?.Size ?? 0, file?.MtimeNs ?? 0);

    private uint ModeFor(bool directory) => directory ? FuseFileMode.Directory | _options.DirectoryMode : FuseFileMode.RegularFile | _options.FileMode;

    private FuseAttr AttrFor(ulong ino, bool directory, long size, long mtimeNs)
    {
        var time = directory ? _mountTime : EntryCodec.FromUnixNanoseconds(mtimeNs);
        var shownSize = directory ? 4096 : size;
        return new FuseAttr
        {
            Ino = ino,
            Mode = ModeFor(directory),
            NLink = directory ? 2UL : 1UL,
            Uid = _options.Uid,
            Gid = _options.Gid,
            Size = shownSize,
            Blocks = (shownSize + 511) / 512,
            BlkSize = 1 << 20,
            ATime = time,
            MTime = time,
            CTime = time,
        };
    }
}
