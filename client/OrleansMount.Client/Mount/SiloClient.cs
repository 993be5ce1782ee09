using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using OrleansMount.Core;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Catalog;

using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Talks to a silo: over its Unix socket (a path) or HTTP (<c>http://host:port</c>). Every failure
/// becomes a <see cref="SiloException"/> that says which silo and what to do.
/// </summary>
public sealed class SiloClient : IDisposable
{
    private readonly HttpClient _http;

    public SiloClient(string address, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address;
        var secret = ClusterSecret.Load(); // ORLEANSMOUNT_CLUSTER_SECRET_FILE or ORLEANSMOUNT_CLUSTER_SECRET, if set
        SocketsHttpHandler handler;
        if (address.StartsWith("http://", StringComparison.Ordinal) || address.StartsWith("https://", StringComparison.Ordinal))
        {
            handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
            _http = new HttpClient(ClusterAuthHandler.Wrap(secret, handler)) { BaseAddress = new Uri(address.TrimEnd('/') + "/") };
        }
        else
        {
            var socketPath = address.StartsWith("unix:", StringComparison.Ordinal) ? address["unix:".Length..] : address;
            handler = new SocketsHttpHandler
            {
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            _http = new HttpClient(ClusterAuthHandler.Wrap(secret, handler)) { BaseAddress = new Uri("http://silo/") };
        }

        _http.Timeout = timeout ?? TimeSpan.FromMinutes(5);
    }

    public string Address { get; }

    public Task<SiloInfo> GetInfoAsync(CancellationToken cancellationToken = default) =>
        SendAsync<SiloInfo>(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/info"), cancellationToken);

    public Task<SiloStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<SiloStats>(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/stats"), cancellationToken);

    public Task<NodeReport> GetNodeAsync(CancellationToken cancellationToken = default) =>
        SendAsync<NodeReport>(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/node"), cancellationToken);

    public Task<SiloMembers> GetMembersAsync(CancellationToken cancellationToken = default) =>
        SendAsync<SiloMembers>(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/members"), cancellationToken);

    public Task<SnapshotRecord> GetSnapshotAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<SnapshotRecord>(() => new HttpRequestMessage(HttpMethod.Get, $"api/v1/snapshots/{Uri.EscapeDataString(name)}"), cancellationToken);

    /// <summary>
    /// One page of a directory (at most <paramref name="limit"/> children after <paramref name="after"/>, a cursor from the previous page),
    /// compact: items carry no identity, and no address when it is the snapshot's source plus the path (docs/api.md).
    /// Asked in the binary form (<see cref="ListingCodec"/>); a silo that answers JSON instead (one older than that form) is understood too.
    /// </summary>
    public async Task<DirectoryListing> ListAsync(string name, string snapshotId, string path, string? after, int limit, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, $"api/v1/snapshots/{Uri.EscapeDataString(name)}/list?id={snapshotId}&path={Uri.EscapeDataString(path)}&limit={limit}&compact=true&format=binary" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}")), cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType != ListingCodec.ContentType)
        {
            return await response.Content.ReadFromJsonAsync<DirectoryListing>(cancellationToken).ConfigureAwait(false)
                ?? throw new SiloException($"silo {Address} sent an empty answer", SiloError.Internal);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return ListingCodec.Decode(bytes);
        }
        catch (FormatException e)
        {
            throw new SiloException($"silo {Address} sent a listing of '{path}' this mount cannot read ({e.Message}); are the silo and the mount the same version?", SiloError.Internal, inner: e);
        }
    }

    /// <summary>The child <paramref name="child"/> of directory <paramref name="path"/>; null when there is none.</summary>
    public async Task<ListingItem?> LookupAsync(string name, string snapshotId, string path, string child, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync<ListingItem>(() => new HttpRequestMessage(HttpMethod.Get, $"api/v1/snapshots/{Uri.EscapeDataString(name)}/lookup?id={snapshotId}&path={Uri.EscapeDataString(path)}&child={Uri.EscapeDataString(child)}&compact=true"), cancellationToken).ConfigureAwait(false);
        }
        catch (SiloException e) when (e.Kind == SiloError.NotFound)
        {
            return null;
        }
    }

    public Task<ChunkLocation> EnsureChunkAsync(ChunkRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<ChunkLocation>(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/chunks/ensure") { Content = JsonContent.Create(request) }, cancellationToken);

    /// <summary>
    /// Asks the silo for a chunk as it fills it (<c>POST /api/v1/chunks/stream</c>, decision 0035): the body of the stream,
    /// or the chunk's location when the silo does not stream it. The caller disposes the answer.
    /// </summary>
    public async Task<ChunkStreamAnswer> StreamChunkAsync(ChunkRequest request, CancellationToken cancellationToken = default)
    {
        var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/chunks/stream") { Content = JsonContent.Create(request) }, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.Content.Headers.ContentType?.MediaType == ChunkStreamFormat.MediaType)
            {
                if (response.Content.Headers.ContentLength != ChunkStreamFormat.BodyLength(request.Length))
                {
                    throw new SiloException($"silo {Address} announced a stream of {response.Content.Headers.ContentLength} bytes for chunk {request.Index} of {request.Address} ({request.Length} bytes); are the silo and the mount the same version?", SiloError.Internal);
                }

                var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                return new ChunkStreamAnswer(null, body, response);
            }

            using (response)
            {
                return new ChunkStreamAnswer(
                    await response.Content.ReadFromJsonAsync<ChunkLocation>(cancellationToken).ConfigureAwait(false) ?? throw new SiloException($"silo {Address} sent an empty answer", SiloError.Internal),
                    null);
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public Task<PrefetchJobStatus> StartPrefetchAsync(PrefetchRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<PrefetchJobStatus>(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/prefetch") { Content = JsonContent.Create(request) }, cancellationToken);

    public Task<PrefetchJobStatus> GetPrefetchAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<PrefetchJobStatus>(() => new HttpRequestMessage(HttpMethod.Get, $"api/v1/prefetch/{Uri.EscapeDataString(jobId)}"), cancellationToken);

    public Task<List<PrefetchJobStatus>> ListPrefetchAsync(CancellationToken cancellationToken = default) =>
        SendAsync<List<PrefetchJobStatus>>(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/prefetch"), cancellationToken);

    public Task<PrefetchJobStatus> CancelPrefetchAsync(string jobId, CancellationToken cancellationToken = default) =>
        SendAsync<PrefetchJobStatus>(() => new HttpRequestMessage(HttpMethod.Post, $"api/v1/prefetch/{Uri.EscapeDataString(jobId)}/cancel"), cancellationToken);

    /// <summary>Registers (or renews) a mount of this node with its silo: what it serves and whether it reads chunk files itself.</summary>
    public Task<MountStatus> RegisterMountAsync(MountRegistration mount, CancellationToken cancellationToken = default) =>
        SendAsync<MountStatus>(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/mounts") { Content = JsonContent.Create(mount) }, cancellationToken);

    /// <summary>Tells the silo a mount is gone (unmounted).</summary>
    public async Task UnregisterMountAsync(string mountpoint, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/mounts?mountpoint={Uri.EscapeDataString(mountpoint)}"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the silo to make these chunks present in the background (readahead); returns once it has taken them.</summary>
    public async Task ReadaheadAsync(IReadOnlyList<ChunkRequest> chunks, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/chunks/readahead") { Content = JsonContent.Create(chunks) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the silo to make the first chunks of the next files after <c>After</c> present (readahead across files).</summary>
    public Task<FileReadaheadAnswer> ReadaheadFilesAsync(FileReadaheadRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<FileReadaheadAnswer>(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/files/readahead") { Content = JsonContent.Create(request) }, cancellationToken);

    /// <summary>Reads a chunk's bytes through the silo into <paramref name="destination"/> (its length is the chunk's).</summary>
    public async Task ReadChunkAsync(ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/chunks/data") { Content = JsonContent.Create(request) }, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await body.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues(ChecksumHeader, out var sent)
            && uint.TryParse(sent.FirstOrDefault(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var expected)
            && ChunkChecksum.Compute(destination.Span) is var actual && actual != expected)
        {
            throw new SiloException($"silo {Address} sent chunk {request.Index} of {request.Address} with CRC32C {actual:x8}, announced {expected:x8}", SiloError.Internal);
        }
    }

    /// <summary>Asks the silo to check its copy of a chunk in full (a damaged one is deleted, counted and fetched again on the next ensure).</summary>
    public async Task VerifyChunkAsync(ChunkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/chunks/verify") { Content = JsonContent.Create(request) }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false)
            ?? throw new SiloException($"silo {Address} sent an empty answer", SiloError.Internal);
    }

    private async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            using var message = request();
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SiloException($"cannot reach the silo at {Address} ({e.Message}); is orleansmount-silo running? (start it, or pass --silo)", SiloError.Internal, unreachable: true, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SiloException($"the silo at {Address} did not answer in {_http.Timeout.TotalSeconds:0} s", SiloError.Internal, unreachable: true, e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            SiloError? error = null;
            try
            {
                error = await response.Content.ReadFromJsonAsync<SiloError>(cancellationToken).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException)
            {
            }

            throw new SiloException(error?.Error ?? $"silo {Address} answered {(int)response.StatusCode} {response.ReasonPhrase}", error?.Kind ?? SiloError.Internal, status: response.StatusCode);
        }
    }

    /// <summary>The response header carrying the CRC32C (8 hex digits) of a chunk's bytes.</summary>
    private const string ChecksumHeader = "X-OrleansMount-Crc32C";

    public void Dispose() => _http.Dispose();
}
