using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace OrleansMount.LatencyProxy;

/// <summary>
/// Forwards one request to the target and streams the answer back, adding the configured
/// time to first byte, per-request bandwidth and faults. Requests pass unchanged — method, raw
/// path and query (no re-encoding), every end-to-end header including the client's Host — so S3
/// SigV4 signatures made for the proxy's address verify at the target. Bodies are streamed in
/// slices, never buffered whole.
/// </summary>
public sealed class ProxyHandler(ProxyOptions options, HttpClient upstream, ProxyStats stats)
{
    public const string StatsPath = "/__proxy/stats";

    // Hop-by-hop headers (RFC 9110 §7.6.1) and Expect (the server side handles 100-continue) stay behind.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect", "Host",
    };

    private readonly Random _random = new(options.Seed);

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        if (request.Path == StatsPath && HttpMethods.IsGet(request.Method))
        {
            await context.Response.WriteAsJsonAsync(stats.Snapshot(), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        stats.Request();
        if (HttpMethods.IsGet(request.Method))
        {
            stats.Get();
        }

        var fault = Decide(request.Method, request.Path.Value ?? "/");
        if (fault is not null)
        {
            stats.Fault(fault.Kind);
        }

        var aborted = context.RequestAborted;
        switch (fault?.Kind)
        {
            case FaultKind.Reset:
                context.Abort();
                return;
            case FaultKind.InternalError:
                await DelayUntilFirstByteAsync(started, aborted).ConfigureAwait(false);
                await WriteS3ErrorAsync(context, StatusCodes.Status500InternalServerError, "InternalError", "We encountered an internal error. Please try again. (injected by orleansmount-latency-proxy)").ConfigureAwait(false);
                return;
            case FaultKind.SlowDown:
                await DelayUntilFirstByteAsync(started, aborted).ConfigureAwait(false);
                await WriteS3ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "SlowDown", "Please reduce your request rate. (injected by orleansmount-latency-proxy)").ConfigureAwait(false);
                return;
        }

        using var message = BuildUpstreamRequest(context);
        HttpResponseMessage response;
        try
        {
            response = await upstream.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, aborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            stats.UpstreamError();
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            await context.Response.WriteAsync($"orleansmount-latency-proxy: the target {options.Target} did not answer: {e.Message}\n", aborted).ConfigureAwait(false);
            return;
        }

        using (response)
        {
            stats.Forward();
            await DelayUntilFirstByteAsync(started, aborted).ConfigureAwait(false);
            CopyResponseHeaders(response, context.Response);

            // Headers go out now, at the time to first byte, before any body byte is read: a client
            // that acts on headers alone (s3rver's empty-range answer promises a byte it never sends)
            // sees them exactly as it would from the target.
            await context.Response.StartAsync(aborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            if (fault?.Kind == FaultKind.Stall)
            {
                await Task.Delay(fault.StallFor ?? Timeout.InfiniteTimeSpan, aborted).ConfigureAwait(false);
                context.Abort();
                return;
            }

            var cutAfter = fault?.Kind == FaultKind.ResetMidBody ? (response.Content.Headers.ContentLength ?? 128 * 1024) / 2 : long.MaxValue;
            var body = await response.Content.ReadAsStreamAsync(aborted).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                await CopyBodyAsync(body, context, cutAfter, aborted).ConfigureAwait(false);
            }
        }
    }

    private FaultRule? Decide(string method, string path)
    {
        foreach (var rule in options.Faults)
        {
            if (rule.Hits(method, path, NextRandom))
            {
                return rule;
            }
        }

        return null;
    }

    private double NextRandom()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private Task DelayUntilFirstByteAsync(long started, CancellationToken cancellationToken) =>
        BandwidthPacer.WaitUntilAsync(started, options.TimeToFirstByte, cancellationToken);

    private HttpRequestMessage BuildUpstreamRequest(HttpContext context)
    {
        var request = context.Request;
        // The raw target exactly as the client sent it: SigV4 signs the encoded path and query.
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString).ToString();
        var uri = new Uri(options.Target.GetLeftPart(UriPartial.Authority) + raw, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var message = new HttpRequestMessage(new HttpMethod(request.Method), uri) { Version = new Version(1, 1) };
        message.Headers.Host = request.Headers.Host.ToString();

        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            message.Content = new StreamContent(new PacedReadStream(request.Body, new BandwidthPacer(options.BytesPerSecond)), 64 * 1024);
        }
        else if (request.ContentLength == 0)
        {
            message.Content = new ByteArrayContent([]);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (NotForwarded.Contains(name))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        return message;
    }

    private static void CopyResponseHeaders(HttpResponseMessage from, HttpResponse to)
    {
        to.StatusCode = (int)from.StatusCode;
        foreach (var (name, values) in from.Headers.Concat(from.Content.Headers))
        {
            if (!NotForwarded.Contains(name))
            {
                to.Headers[name] = values.ToArray();
            }
        }
    }

    private async Task CopyBodyAsync(Stream body, HttpContext context, long cutAfter, CancellationToken cancellationToken)
    {
        var pacer = new BandwidthPacer(options.BytesPerSecond);
        var buffer = ArrayPool<byte>.Shared.Rent(pacer.SliceLength);
        try
        {
            long sent = 0;
            while (true)
            {
                var want = (int)Math.Min(pacer.SliceLength, cutAfter - sent);
                var read = want == 0 ? 0 : await body.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                sent += read;
                stats.ToClient(read, HttpMethods.IsGet(context.Request.Method));
                await pacer.AfterAsync(read, cancellationToken).ConfigureAwait(false);
            }

            if (sent >= cutAfter)
            {
                context.Abort(); // reset-body: the client got half the promised bytes
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task WriteS3ErrorAsync(HttpContext context, int status, string code, string message)
    {
        var requestId = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        var xml = $"""<?xml version="1.0" encoding="UTF-8"?>{"\n"}<Error><Code>{code}</Code><Message>{message}</Message><Resource>{System.Security.SecurityElement.Escape(context.Request.Path.Value)}</Resource><RequestId>{requestId}</RequestId></Error>""";
        var bytes = Encoding.UTF8.GetBytes(xml);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = bytes.Length;
        context.Response.Headers["x-amz-request-id"] = requestId;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
