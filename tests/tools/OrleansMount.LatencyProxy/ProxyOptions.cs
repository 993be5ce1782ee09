using System.Globalization;
using System.Net;

namespace OrleansMount.LatencyProxy;

/// <summary>What the proxy listens on, where it forwards, and what it does to each request on the way.</summary>
public sealed record ProxyOptions(IPEndPoint Listen, Uri Target, TimeSpan TimeToFirstByte, long BytesPerSecond, IReadOnlyList<FaultRule> Faults, int Seed)
{
    /// <summary>Checks the command-line values; a bad one throws an <see cref="ArgumentException"/> saying what to pass instead.</summary>
    public static ProxyOptions Validate(string listen, string target, int ttfbMs, double bandwidthMbps, IEnumerable<string> faults, int seed)
    {
        if (!IPEndPoint.TryParse(listen, out var endpoint) || listen.LastIndexOf(':') < 0)
        {
            throw new ArgumentException($"--listen '{listen}' is not IP:PORT, e.g. 127.0.0.1:0 (port 0 picks a free port; the bound address is printed)");
        }

        if (!Uri.TryCreate(target, UriKind.Absolute, out var targetUri) || targetUri.Scheme != Uri.UriSchemeHttp || targetUri.AbsolutePath != "/" || targetUri.Query.Length > 0)
        {
            throw new ArgumentException($"--target '{target}' is not a plain http://HOST:PORT base address (no path, no TLS), e.g. http://127.0.0.1:4568");
        }

        if (ttfbMs < 0)
        {
            throw new ArgumentException($"--ttfb-ms {ttfbMs} is negative: give the delay before response headers in milliseconds (0 for none)");
        }

        if (bandwidthMbps < 0 || double.IsNaN(bandwidthMbps) || double.IsInfinity(bandwidthMbps))
        {
            throw new ArgumentException($"--bandwidth-mbps {bandwidthMbps.ToString(CultureInfo.InvariantCulture)} is not a rate: give megabits per second per request (0 for unlimited)");
        }

        var bytesPerSecond = bandwidthMbps == 0 ? 0 : Math.Max(1, (long)(bandwidthMbps * 1_000_000 / 8));
        return new ProxyOptions(endpoint, targetUri, TimeSpan.FromMilliseconds(ttfbMs), bytesPerSecond, [.. faults.Select(FaultRule.Parse)], seed);
    }
}
