using System.Buffers;
using System.Buffers.Binary;
using OrleansMount.Core;
using OrleansMount.Core.Placement;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Silo;

/// <summary>The silo's HTTP API (docs/api.md). JSON in and out, except chunk bytes, which are raw.</summary>
public static class SiloEndpoints
{
    /// <summary>The most children one page of a listing may ask for (<c>limit</c>).</summary>
    public const int MaxListingPage = 10_000;

    public static void Map(WebApplication app, SiloNode node)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(node);
        var api = app.MapGroup("/api/v1");
        var compactJson = CompactJsonOf(app); // the host's JSON settings, null fields left out
        api.MapGet("/info", () => Results.Json(SiloApi.Info(node)));
        api.MapGet("/stats", () => Results.Json(SiloApi.Stats(node)));
        api.MapGet("/members", () =>
        {
            var view = node.Membership?.CurrentView ?? Grains.Membership.MembershipSnapshot.Empty;
            return Results.Json(new SiloMembers(
                node.SiloId,
                node.Options.Redis is null ? "single-node" : node.Options.Cluster,
                view.Version,
                [.. view.Members.Select(SiloApi.Member)]));
        });

        api.MapGet("/snapshots/{name}", (string name, CancellationToken ct) => Guard(async () =>
        {
            var view = await node.GetViewAsync(name, null, ct).ConfigureAwait(false);
            return Results.Json(view.Record);
        }));

        api.MapGet("/snapshots/{name}/list", (string name, string? id, string? path, string? after, int? limit, bool? compact, string? format, CancellationToken ct) => Guard(async () =>
        {
            if (limit is < 1 or > MaxListingPage)
            {
                throw new OrleansMountException($"limit={limit} is outside 1..{MaxListingPage}", 2);
            }

            if (format is not (null or "json" or "binary"))
            {
                throw new OrleansMountException($"format={format} is not json or binary", 2);
            }

            var view = await node.GetViewAsync(name, id, ct).ConfigureAwait(false);
            var directory = PathRules.NormalizeDirectory(path ?? "");
            if (format == "binary" && compact == true)
            {
                // What mounts ask for: written from the store's keys and values, no object per child (decision 0032).
                var writer = new CompactListingWriter(view.Record.Source, EntryCodec.ToUnixNanoseconds(view.Record.CreatedAt), view.Record.Name);
                var scan = await view.ScanDirectoryPageAsync(directory, after, limit ?? int.MaxValue, writer, ct).ConfigureAwait(false);
                return scan.Found ? Results.Bytes(writer.Finish(view.Record.Id, directory, scan.Next), ListingCodec.ContentType) : NoDirectory(directory, name);
            }

            var page = await view.ListDirectoryPageAsync(directory, after, limit ?? int.MaxValue, ct).ConfigureAwait(false);
            if (page is null)
            {
                return NoDirectory(directory, name);
            }

            var listing = new DirectoryListing(view.Record.Id, directory, [.. page.Items.Select(i => ToWire(i, view, compact == true))], page.Next);
            return format == "binary" ? Results.Bytes(ListingCodec.Encode(listing), ListingCodec.ContentType)
                : compact == true ? Results.Json(listing, compactJson) : Results.Json(listing);
        }));

        // One name in one directory: a point read, whatever the directory's size.
        api.MapGet("/snapshots/{name}/lookup", (string name, string? id, string? path, string? child, bool? compact, CancellationToken ct) => Guard(async () =>
        {
            if (child is null || !PathRules.IsValidName(child))
            {
                throw new OrleansMountException($"child='{child}' is not a file or directory name", 2);
            }

            var view = await node.GetViewAsync(name, id, ct).ConfigureAwait(false);
            var directory = PathRules.NormalizeDirectory(path ?? "");
            var item = await view.LookupAsync(directory, child, ct).ConfigureAwait(false);
            return item is null
                ? Error(StatusCodes.Status404NotFound, SiloError.NotFound, $"no '{child}' in directory '{directory}' of snapshot '{name}'")
                : compact == true ? Results.Json(ToWire(item, view, compact: true), compactJson) : Results.Json(ToWire(item, view));
        }));

        // Local mounts: routed by placement (owned here, near cache, or copied from the owner).
        api.MapPost("/chunks/ensure", (ChunkRequest request, CancellationToken ct) => Guard(async () =>
        {
            await ValidateAsync(request, node, ct).ConfigureAwait(false);
            var location = await node.EnsureAsync(request, ct).ConfigureAwait(false);
            return Results.Json(location);
        }));

        // Local mounts: a chunk this silo fills streams to the mount as it arrives, each block with its checksum
        // (decision 0035); any other chunk is made present as by ensure, and its location is the answer.
        api.MapPost("/chunks/stream", (ChunkRequest request, HttpContext context, CancellationToken ct) => Guard(async () =>
        {
            await ValidateAsync(request, node, ct).ConfigureAwait(false);
            if (node.AcquireFillToStream(request) is { } fill)
            {
                try
                {
                    return await StreamToMountAsync(node, fill, context, ct).ConfigureAwait(false);
                }
                finally
                {
                    fill.Release();
                }
            }

            return Results.Json(await node.EnsureAsync(request, ct).ConfigureAwait(false));
        }));

        // Local mounts: a chunk file failed the mount's check; the store checks it in full (a bad one is deleted and counted).
        api.MapPost("/chunks/verify", (ChunkRequest request, CancellationToken ct) => Guard(async () =>
        {
            await ValidateAsync(request, node, ct).ConfigureAwait(false);
            return Results.Json(new ChunkLocation(node.Chunks.Verify(request.Id, request.Address), request.Length, 0, ChunkTier.Local));
        }));

        api.MapPost("/chunks/data", (ChunkRequest request, HttpContext context, CancellationToken ct) => Guard(async () =>
        {
            await ValidateAsync(request, node, ct).ConfigureAwait(false);
            var location = await node.EnsureAsync(request, ct).ConfigureAwait(false);
            return await WriteChunkAsync(node, request, location, () => node.EnsureAsync(request, ct), context, trailer: false, ct).ConfigureAwait(false);
        }));

        // Peers: the silo a chunk's grain named serves its bytes, followed by their CRC32C: streamed from its fill
        // while that runs, else from its cache (filled again through the grain if the copy was evicted or damaged since).
        api.MapPost("/peer/chunks/data", (ChunkRequest request, HttpContext context, CancellationToken ct) => Guard(async () =>
        {
            await ValidateAsync(request, node, ct).ConfigureAwait(false);
            if (node.Resources.Fills.TryAcquire(request.Id) is { } filling)
            {
                try
                {
                    return await StreamFillAsync(node, filling, context, ct).ConfigureAwait(false);
                }
                finally
                {
                    filling.Release();
                }
            }

            var location = await node.EnsureAsync(request, ct).ConfigureAwait(false);
            if (location.Cached && await TrySendStoredAsync(node, request, context, ct).ConfigureAwait(false))
            {
                return Results.Empty;
            }

            return await WriteChunkAsync(node, request, location, () => node.EnsureAsync(request, ct), context, trailer: true, ct).ConfigureAwait(false);
        }));

        // Peers: the owner of a range or metarange file serves its bytes, read from the catalog once.
        api.MapGet("/peer/ranges/{kind}/{id}", (string kind, string id, HttpContext context, CancellationToken ct) => Guard(async () =>
        {
            var file = ParseCatalogFile(node, kind, id);
            var bytes = await node.RangeFileOf(file).ReadAsync(ct).ConfigureAwait(false);
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = bytes.Length;
            context.Response.Headers[PeerClient.ChecksumHeader] = ChunkChecksum.Compute(bytes).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
            return Results.Empty;
        }));

        Prefetch.PrefetchEndpoints.Map(api, node);
    }

    private static CatalogFile ParseCatalogFile(SiloNode node, string kind, string id)
    {
        try
        {
            return kind switch
            {
                "range" => new CatalogFile(CatalogFileKind.Range, RangeId.Parse(id).Hash, node.Catalog.RangeKey(RangeId.Parse(id))),
                "metarange" => new CatalogFile(CatalogFileKind.Metarange, MetarangeId.Parse(id).Hash, node.Catalog.MetarangeKey(MetarangeId.Parse(id))),
                _ => throw new OrleansMountException($"'{kind}' is not a catalog file kind (range or metarange)", 2),
            };
        }
        catch (FormatException e)
        {
            throw new OrleansMountException(e.Message, 2);
        }
    }

    /// <summary>
    /// Streams a chunk to a peer while this silo fills it from the object store: the bytes as they arrive, then their
    /// CRC32C (known once the fill has every byte). A fill that fails before the first byte is sent answers its error; one
    /// that fails after cuts the connection, so the peer never takes part of a chunk for all of it.
    /// </summary>
    private static async Task<IResult> StreamFillAsync(SiloNode node, ChunkFillBuffer fill, HttpContext context, CancellationToken ct)
    {
        var response = context.Response;
        response.ContentType = "application/octet-stream";
        response.ContentLength = fill.Length + PeerClient.ChecksumTrailerLength;
        try
        {
            for (var sent = 0; sent < fill.Length;)
            {
                var available = await fill.WaitAsync(sent, ct).ConfigureAwait(false);
                await response.Body.WriteAsync(fill.Data[sent..available], ct).ConfigureAwait(false);
                sent = available;
            }

            var crc = await fill.Completed.WaitAsync(ct).ConfigureAwait(false);
            var trailer = new byte[PeerClient.ChecksumTrailerLength];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
            await response.Body.WriteAsync(trailer, ct).ConfigureAwait(false);
            node.Counters.StreamedWhileFilling();
            return Results.Empty;
        }
        catch (Exception) when (response.HasStarted)
        {
            context.Abort();
            return Results.Empty;
        }
        catch (Exception)
        {
            // Nothing sent yet: the fill's error is the answer (Guard maps it), without the chunk's length.
            response.ContentLength = null;
            throw;
        }
    }

    /// <summary>
    /// Streams a chunk to a mount of this node while this silo fills it (<see cref="ChunkStreamFormat"/>): each block once
    /// it arrived, with the CRC32C the fill took of it, then the whole chunk's. The answer starts only once the object
    /// store has answered with the right object, so an object changed or deleted after import is an error status, as
    /// from ensure; a fill that fails after the first byte cuts the connection.
    /// </summary>
    private static async Task<IResult> StreamToMountAsync(SiloNode node, ChunkFillBuffer fill, HttpContext context, CancellationToken ct)
    {
        await fill.Started.WaitAsync(ct).ConfigureAwait(false);
        var response = context.Response;
        response.ContentType = ChunkStreamFormat.MediaType;
        response.ContentLength = ChunkStreamFormat.BodyLength(fill.Length);
        var writer = response.BodyWriter;
        var blocks = ChunkStreamFormat.BlockCount(fill.Length);
        var wrote = false;
        try
        {
            for (var block = 0; block < blocks;)
            {
                var (start, length) = ChunkStreamFormat.Block(fill.Length, block);
                var available = await fill.WaitAsync(start + length - 1, ct).ConfigureAwait(false);
                for (; block < blocks && ChunkStreamFormat.Block(fill.Length, block) is var (s, n) && s + n <= available; block++)
                {
                    var frame = writer.GetSpan(n + ChunkStreamFormat.CrcLength);
                    fill.Data.Span.Slice(s, n).CopyTo(frame);
                    ChunkStreamFormat.WriteCrc(frame[n..], fill.BlockCrc(block));
                    writer.Advance(n + ChunkStreamFormat.CrcLength);
                    wrote = true;
                }

                if (block == blocks)
                {
                    var crc = await fill.Completed.WaitAsync(ct).ConfigureAwait(false);
                    ChunkStreamFormat.WriteCrc(writer.GetSpan(ChunkStreamFormat.CrcLength), crc);
                    writer.Advance(ChunkStreamFormat.CrcLength);
                }

                await writer.FlushAsync(ct).ConfigureAwait(false);
            }

            node.Counters.StreamedToMount();
            return Results.Empty;
        }
        catch (Exception) when (response.HasStarted || wrote)
        {
            context.Abort(); // part of the body is out (or buffered): the mount must see it cut short
            return Results.Empty;
        }
        catch (Exception)
        {
            response.ContentLength = null;
            throw;
        }
    }

    /// <summary>Bytes of a stored chunk a peer copy reads and checks at a time, straight into the response's buffer.</summary>
    internal const int PeerPieceBytes = 256 * 1024;

    /// <summary>
    /// Sends a stored chunk to a peer straight from its file: each piece of <see cref="PeerPieceBytes"/> read into the
    /// response's own buffer and its blocks checked there (no copy of the whole chunk in between), then the CRC32C the
    /// file's header holds. The first piece is read and checked before the answer starts: false, with nothing sent, when
    /// the chunk is not stored here (evicted since) or that piece is damaged (the copy is then removed and the caller fills
    /// it again). A block found damaged later removes the copy and cuts the response, which the peer reads around.
    /// </summary>
    private static async Task<bool> TrySendStoredAsync(SiloNode node, ChunkRequest request, HttpContext context, CancellationToken ct)
    {
        using var handle = node.Chunks.TryOpen(request.Id, request.Address);
        if (handle is null || handle.Length != request.Length)
        {
            return false;
        }

        var first = Math.Min(PeerPieceBytes, handle.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, first));
        try
        {
            try
            {
                handle.Read(0, buffer.AsSpan(0, first));
            }
            catch (ChunkDamagedException)
            {
                node.Chunks.Verify(request.Id, request.Address);
                return false;
            }

            var response = context.Response;
            response.ContentType = "application/octet-stream";
            response.ContentLength = handle.Length + PeerClient.ChecksumTrailerLength;
            var writer = response.BodyWriter;
            writer.Write(buffer.AsSpan(0, first));
            try
            {
                for (var sent = first; sent < handle.Length; sent += PeerPieceBytes)
                {
                    var piece = Math.Min(PeerPieceBytes, handle.Length - sent);
                    handle.Read(sent, writer.GetSpan(piece)[..piece]);
                    writer.Advance(piece);
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                }

                BinaryPrimitives.WriteUInt32LittleEndian(writer.GetSpan(PeerClient.ChecksumTrailerLength), handle.Crc32C);
                writer.Advance(PeerClient.ChecksumTrailerLength);
                await writer.FlushAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (e is ChunkDamagedException)
                {
                    node.Chunks.Verify(request.Id, request.Address);
                }

                context.Abort(); // part of the chunk is out (or buffered): the peer must see it cut short
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes a chunk's raw bytes: from the local store, every block checked as it is read. A copy found damaged is
    /// removed (counted, logged naming the object) and filled again through <paramref name="refill"/> (the owner's
    /// grain: a peer or the object store); straight from the object store if it still cannot be served from the cache.
    /// The CRC32C goes in the <see cref="PeerClient.ChecksumHeader"/> header, or with <paramref name="trailer"/> after
    /// the bytes (<see cref="PeerClient.ChecksumTrailerLength"/> bytes, little-endian: what peers read).
    /// </summary>
    private static async Task<IResult> WriteChunkAsync(SiloNode node, ChunkRequest request, ChunkLocation location, Func<Task<ChunkLocation>> refill, HttpContext context, bool trailer, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(request.Length + PeerClient.ChecksumTrailerLength);
        try
        {
            uint crc = 0;
            var fromCache = location.Cached && TryReadCached(node, request, buffer.AsSpan(0, request.Length), out crc);
            if (!fromCache && location.Cached)
            {
                // The copy was damaged (and is removed now) or evicted since: fill it again, once.
                location = await refill().ConfigureAwait(false);
                fromCache = location.Cached && TryReadCached(node, request, buffer.AsSpan(0, request.Length), out crc);
            }

            if (!fromCache)
            {
                // Not cacheable here (disk full): stream it straight from the object store.
                await ChunkFill.ReadFromObjectStoreAsync(node.Stores, request, buffer.AsMemory(0, request.Length), ct).ConfigureAwait(false);
                node.Counters.ObjectStoreRead(request.Length);
                crc = ChunkChecksum.Compute(buffer.AsSpan(0, request.Length));
            }

            var length = request.Length;
            if (trailer)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(length, PeerClient.ChecksumTrailerLength), crc);
                length += PeerClient.ChecksumTrailerLength;
            }
            else
            {
                context.Response.Headers[PeerClient.ChecksumHeader] = crc.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
            }

            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = length;
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, length), ct).ConfigureAwait(false);
            return Results.Empty;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The chunk's bytes from the local store, each block checked; false when absent or damaged (a damaged copy is removed).</summary>
    private static bool TryReadCached(SiloNode node, ChunkRequest request, Span<byte> destination, out uint crc)
    {
        crc = 0;
        using var handle = node.Chunks.TryOpen(request.Id, request.Address);
        if (handle is null || handle.Length != destination.Length)
        {
            return false;
        }

        try
        {
            handle.Read(0, destination);
            crc = handle.Crc32C;
            return true;
        }
        catch (ChunkDamagedException)
        {
            node.Chunks.Verify(request.Id, request.Address);
            return false;
        }
    }

    /// <summary>
    /// A chunk request is served only for an object under the source of the snapshot it names, so the
    /// silo cannot be used to read arbitrary objects or files with its own credentials.
    /// </summary>
    internal static async Task ValidateAsync(ChunkRequest request, SiloNode node, CancellationToken cancellationToken)
    {
        var view = await node.GetViewAsync(request.Snapshot, request.SnapshotId, cancellationToken).ConfigureAwait(false);
        var source = view.Record.Source;
        if (!request.Address.StartsWith(source, StringComparison.Ordinal) || PathRules.Check(request.Address[source.Length..]) != PathVerdict.Ok)
        {
            throw new OrleansMountException($"{request.Address} is not an object of snapshot '{request.Snapshot}' (source {source})", 2);
        }

        if (request.ChunkSize != node.Options.ChunkSize)
        {
            throw new OrleansMountException($"chunk size {request.ChunkSize} does not match this silo's {node.Options.ChunkSize}", 2);
        }

        if (request.Size < 0 || request.Index < 0 || (long)request.Index * request.ChunkSize >= request.Size)
        {
            throw new OrleansMountException($"chunk {request.Index} is outside an object of {request.Size} bytes", 2);
        }
    }

    /// <summary>
    /// The JSON settings of listings and lookups with <c>compact=true</c> (what mounts ask for): no identity (a mount derives it when asked),
    /// no address when it is the snapshot's source plus the path (almost always), and null fields left out. A
    /// listing page of 1,000 files is then about half the bytes to write and to parse.
    /// </summary>
    private static System.Text.Json.JsonSerializerOptions CompactJsonOf(WebApplication app) =>
        new(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };

    private static IResult NoDirectory(string directory, string snapshot) =>
        Error(StatusCodes.Status404NotFound, SiloError.NotFound, $"no directory '{directory}' in snapshot '{snapshot}'");

    internal static ListingItem ToWire(DirectoryItem item, SnapshotView view, bool compact = false)
    {
        var ino = item.Ino ?? throw new OrleansMountException(EntryCodec.UnnumberedError(view.Record.Name, view.Record.Source));
        if (item.Entry is not { } entry)
        {
            return new ListingItem(item.Name, true, 0, EntryCodec.ToUnixNanoseconds(view.Record.CreatedAt), null, null, null, ino);
        }

        return compact
            ? new ListingItem(item.Name, false, entry.Size, EntryCodec.ToUnixNanoseconds(entry.ModifiedTime), entry.ETag, null, IsDerived(entry, view) ? null : entry.PhysicalAddress, ino)
            : new ListingItem(item.Name, false, entry.Size, EntryCodec.ToUnixNanoseconds(entry.ModifiedTime), entry.ETag, entry.Identity.ToString(), entry.PhysicalAddress, ino);
    }

    /// <summary>Whether the entry's address is the snapshot's source followed by its path (compared without building the string).</summary>
    private static bool IsDerived(SnapshotEntry entry, SnapshotView view)
    {
        var source = view.Record.Source;
        var address = entry.PhysicalAddress;
        return address.Length == source.Length + entry.Path.Length
            && address.StartsWith(source, StringComparison.Ordinal)
            && address.AsSpan(source.Length).SequenceEqual(entry.Path);
    }

    internal static async Task<IResult> Guard(Func<Task<IResult>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (SnapshotReplacedException e)
        {
            return Error(StatusCodes.Status409Conflict, SiloError.SnapshotReplaced, e.Message);
        }
        catch (ObjectChangedException e)
        {
            return Error(StatusCodes.Status412PreconditionFailed, SiloError.ObjectChanged, e.Message);
        }
        catch (ObjectNotFoundException e)
        {
            return Error(StatusCodes.Status412PreconditionFailed, SiloError.ObjectChanged, e.Message + " (it was deleted after import)");
        }
        catch (ObjectStoreException e)
        {
            return Error(StatusCodes.Status502BadGateway, SiloError.ObjectStore, e.Message);
        }
        catch (OrleansMountException e) when (e.ExitCode == 4)
        {
            return Error(StatusCodes.Status404NotFound, SiloError.SnapshotNotFound, e.Message);
        }
        catch (OrleansMountException e) when (e.ExitCode == 2)
        {
            return Error(StatusCodes.Status400BadRequest, SiloError.BadRequest, e.Message);
        }
        catch (OrleansMountException e)
        {
            return Error(StatusCodes.Status500InternalServerError, SiloError.Internal, e.Message);
        }
    }

    private static IResult Error(int status, string kind, string message) => Results.Json(new SiloError(message, kind), statusCode: status);
}
