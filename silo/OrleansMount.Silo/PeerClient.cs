using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Json;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Protocol;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Silo;

/// <summary>
/// Silo-to-silo byte transfers (HTTP/1.1, docs/api.md "Peer endpoints"): copy a chunk or a range file from the
/// silo its grain named. The bytes travel here, over Kestrel, not inside Orleans messages (decision 0010).
/// Failures surface as <see cref="PeerException"/> (no answer within <see cref="AnswerTimeout"/>, or an error answer).
/// </summary>
public sealed class PeerClient : IDisposable
{
    public const string ChunkDataPath = "api/v1/peer/chunks/data";
    public const string RangesPath = "api/v1/peer/ranges/";

    /// <summary>The response header carrying the CRC32C (8 hex digits) of the bytes sent (range files; chunks to mounts).</summary>
    public const string ChecksumHeader = "X-OrleansMount-Crc32C";

    /// <summary>A chunk copied between silos is followed by its CRC32C in this many bytes (little-endian).</summary>
    public const int ChecksumTrailerLength = 4;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(30);
    private const int MaxRangeFileBytes = 256 * 1024 * 1024;

    private readonly HttpClient _http;

    public PeerClient(TimeSpan answerTimeout, ClusterSecret? secret)
    {
        AnswerTimeout = answerTimeout;
        _http = CreateHttpClient(answerTimeout, secret);
    }

    /// <summary>
    /// The HTTP/1.1 client for calls to peers: connect timeout at most 2 s, no overall timeout (each
    /// call bounds its own), requests signed with the cluster secret when there is one.
    /// </summary>
    internal static HttpClient CreateHttpClient(TimeSpan answerTimeout, ClusterSecret? secret) =>
        new(ClusterAuthHandler.Wrap(secret, new SocketsHttpHandler { ConnectTimeout = ConnectTimeout < answerTimeout ? ConnectTimeout : answerTimeout, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }))
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = System.Net.HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    /// <summary>How long an owner may take to start answering (it may be filling the chunk from the object store).</summary>
    public TimeSpan AnswerTimeout { get; }

    /// <summary>
    /// Copies one chunk's bytes from the silo holding or filling it into <paramref name="destination"/> (exactly the
    /// chunk's length) and checks them against the CRC32C the owner sends after them (<see cref="ChecksumTrailerLength"/>
    /// bytes, little-endian: a silo streaming a fill knows it only at the end); returns it. An owner whose fill fails
    /// midway cuts the response, so a copy is whole and checked or a <see cref="PeerException"/>. The checksums of its
    /// blocks of <see cref="ChunkFileFormat.DefaultBlockSize"/> bytes go to <paramref name="blockCrcs"/> (one for each),
    /// the whole chunk's derived from them: one pass over the bytes for the check and the chunk file's block table.
    /// </summary>
    public async Task<uint> CopyChunkAsync(SiloEntry owner, ChunkRequest request, Memory<byte> destination, Memory<uint> blockCrcs)
    {
        ArgumentNullException.ThrowIfNull(owner);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(owner.Address, ChunkDataPath)) { Content = JsonContent.Create(request) };
        return await CallAsync(message, async (response, body, timeout) =>
        {
            if (response.Content.Headers.ContentLength is { } announced && announced != destination.Length + ChecksumTrailerLength)
            {
                throw new PeerException($"owner announced {announced} bytes, expected {destination.Length} and a {ChecksumTrailerLength}-byte checksum");
            }

            var trailer = new byte[ChecksumTrailerLength];
            await ReadExactlyAsync(body, destination, trailer, timeout).ConfigureAwait(false);
            var crc = ChunkChecksum.ComputeBlocks(destination.Span, ChunkFileFormat.DefaultBlockSize, blockCrcs.Span);
            var expected = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            if (expected != crc)
            {
                throw new PeerException($"owner's bytes have CRC32C {crc:x8}, it announced {expected:x8}");
            }

            return crc;
        }).ConfigureAwait(false);
    }

    /// <summary>Copies a range or metarange file from its owner to <paramref name="localPath"/> (via a temp file); returns its length.</summary>
    public async Task<long> DownloadRangeAsync(SiloEntry owner, CatalogFile file, string localPath)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(file);
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(owner.Address, RangesPath + file));
        var bytes = await CallAsync(message, async (response, body, timeout) =>
        {
            if (response.Content.Headers.ContentLength is not { } length || length is < 0 or > MaxRangeFileBytes)
            {
                throw new PeerException($"owner sent {file} without a valid length");
            }

            var data = new byte[length];
            await ReadExactlyAsync(body, data, timeout).ConfigureAwait(false);
            Verify(response, data);
            return data;
        }).ConfigureAwait(false);
        var temp = localPath + ".peer-" + Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllBytesAsync(temp, bytes).ConfigureAwait(false);
        File.Move(temp, localPath);
        return bytes.Length;
    }

    private async Task<T> CallAsync<T>(HttpRequestMessage message, Func<HttpResponseMessage, Stream, CancellationToken, Task<T>> read)
    {
        using var answer = new CancellationTokenSource(AnswerTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, answer.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new PeerException(e.Message, e);
        }
        catch (OperationCanceledException e)
        {
            throw new PeerException($"no answer within {AnswerTimeout.TotalSeconds:0.#} s", e);
        }

        using (response)
        {
            using var body = new CancellationTokenSource(BodyTimeout);
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    var text = await response.Content.ReadAsStringAsync(body.Token).ConfigureAwait(false);
                    throw new PeerException($"owner answered {(int)response.StatusCode}: {text}");
                }

                var stream = await response.Content.ReadAsStreamAsync(body.Token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    return await read(response, stream, body.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                throw new PeerException(e is OperationCanceledException ? $"the bytes did not arrive within {BodyTimeout.TotalSeconds:0} s" : e.Message, e);
            }
        }
    }

    private static Task ReadExactlyAsync(Stream body, Memory<byte> destination, CancellationToken cancellationToken) =>
        ReadExactlyAsync(body, destination, Memory<byte>.Empty, cancellationToken);

    /// <summary>Reads exactly <paramref name="destination"/> then <paramref name="trailer"/>, and then the end of the body.</summary>
    private static async Task ReadExactlyAsync(Stream body, Memory<byte> destination, Memory<byte> trailer, CancellationToken cancellationToken)
    {
        var expected = destination.Length + trailer.Length;
        try
        {
            await body.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
            await body.ReadExactlyAsync(trailer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new PeerException($"owner sent fewer than the {expected} bytes expected");
        }

        if (await body.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new PeerException($"owner sent more than the {expected} bytes expected");
        }
    }

    private static uint Verify(HttpResponseMessage response, ReadOnlySpan<byte> data)
    {
        var crc = ChunkChecksum.Compute(data);
        if (!response.Headers.TryGetValues(ChecksumHeader, out var sent)
            || !uint.TryParse(sent.FirstOrDefault(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var expected))
        {
            throw new PeerException($"owner sent no {ChecksumHeader} header");
        }

        if (expected != crc)
        {
            throw new PeerException($"owner's bytes have CRC32C {crc:x8}, it announced {expected:x8}");
        }

        return crc;
    }

    public void Dispose() => _http.Dispose();
}
