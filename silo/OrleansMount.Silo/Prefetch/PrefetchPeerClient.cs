using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Runtime;

namespace OrleansMount.Silo.Prefetch;

/// <summary>
/// Silo-to-silo prefetch calls (docs/api.md). A chunk batch is one long request whose answer streams one
/// outcome per line as the owner finishes chunks, so it has no body timeout: it ends when the owner is
/// done, the connection breaks, or the job is cancelled (closing the request stops the owner).
/// </summary>
public sealed class PrefetchPeerClient : IDisposable
{
    public const string ChunksPath = "api/v1/peer/prefetch/chunks";
    public const string RangesPath = "api/v1/peer/prefetch/ranges";
    public const string CancelPath = "api/v1/peer/prefetch/{0}/cancel";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly TimeSpan _answerTimeout;

    public PrefetchPeerClient(TimeSpan answerTimeout, OrleansMount.Core.Security.ClusterSecret? secret)
    {
        _answerTimeout = answerTimeout;
        _http = PeerClient.CreateHttpClient(answerTimeout, secret);
    }

    /// <summary>Sends a batch to its owner and reports each outcome as it arrives; throws <see cref="PeerException"/> when the owner does not deliver.</summary>
    public async Task RunChunksAsync(SiloEntry owner, PeerPrefetchBatch batch, Action<PeerPrefetchOutcome> onOutcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(onOutcome);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(owner.Address, ChunksPath)) { Content = JsonContent.Create(batch, options: Json) };
        using var response = await SendAsync(owner, message, cancellationToken).ConfigureAwait(false);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(body);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0)
                {
                    onOutcome(JsonSerializer.Deserialize<PeerPrefetchOutcome>(line, Json) ?? throw new PeerException($"owner {owner.SiloId} sent an empty outcome", unreachable: false));
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            throw new PeerException($"owner {owner.SiloId} broke off the batch: {e.Message}", unreachable: e is not JsonException, e);
        }
    }

    /// <summary>Asks a silo to ingest range files.</summary>
    public async Task<PeerRangePrefetchResult> IngestRangesAsync(SiloEntry silo, PeerRangePrefetch ranges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(silo);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(silo.Address, RangesPath)) { Content = JsonContent.Create(ranges, options: Json) };
        using var response = await SendAsync(silo, message, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<PeerRangePrefetchResult>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new PeerException($"silo {silo.SiloId} sent an empty answer", unreachable: false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            throw new PeerException($"silo {silo.SiloId} broke off: {e.Message}", unreachable: false, e);
        }
    }

    /// <summary>Tells a silo to stop a job's batches (best effort: closing the batch request stops them too).</summary>
    public async Task CancelAsync(SiloEntry silo, string jobId)
    {
        ArgumentNullException.ThrowIfNull(silo);
        using var bound = new CancellationTokenSource(_answerTimeout);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(silo.Address, string.Format(CultureInfo.InvariantCulture, CancelPath, Uri.EscapeDataString(jobId))));
            using var response = await _http.SendAsync(message, bound.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // Its batch requests were closed anyway; a silo that is gone does no work.
        }
    }

    private async Task<HttpResponseMessage> SendAsync(SiloEntry silo, HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        answer.CancelAfter(_answerTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, answer.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new PeerException($"silo {silo.SiloId} ({silo.Address}) is unreachable: {e.Message}", unreachable: true, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerException($"silo {silo.SiloId} ({silo.Address}) did not answer within {_answerTimeout.TotalSeconds:0.#} s", unreachable: true, e);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new PeerException($"silo {silo.SiloId} answered {(int)response.StatusCode}: {text}", unreachable: false);
            }
        }

        return response;
    }

    public void Dispose() => _http.Dispose();
}
