using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// A running <c>orleansmount-latency-proxy</c> (tests/tools/OrleansMount.LatencyProxy) in front of
/// a target such as <see cref="S3rverServer.Endpoint"/>. It binds a free loopback port itself
/// (<c>--listen 127.0.0.1:0</c>) and prints it, so there is no window in which another process can
/// take the port. Stopped by pid on dispose.
/// </summary>
public sealed partial class LatencyProxyProcess : IAsyncDisposable, IDisposable
{
    private readonly Process _process;
    private readonly CapturedOutput _output;

    private LatencyProxyProcess(Process process, CapturedOutput output, string endpoint)
    {
        _process = process;
        _output = output;
        Endpoint = endpoint;
    }

    /// <summary>Base URL of the proxy, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Endpoint { get; }

    public int Pid => _process.Id;

    public string Log => _output.ToString();

    /// <summary>Starts the proxy and waits for the line that names its bound address.</summary>
    public static async Task<LatencyProxyProcess> StartAsync(string target, int ttfbMs = 0, double bandwidthMbps = 0, params string[] faults)
    {
        var start = new ProcessStartInfo(RepoPaths.LatencyProxy)
        {
            ArgumentList =
            {
                "--listen", "127.0.0.1:0",
                "--target", target,
                "--ttfb-ms", ttfbMs.ToString(CultureInfo.InvariantCulture),
                "--bandwidth-mbps", bandwidthMbps.ToString(CultureInfo.InvariantCulture),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var fault in faults)
        {
            start.ArgumentList.Add("--fault");
            start.ArgumentList.Add(fault);
        }

        var output = new CapturedOutput();
        var bound = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        output.Attach(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningLine().Match(e.Data) is { Success: true } match)
            {
                bound.TrySetResult(match.Groups[1].Value);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => bound.TrySetException(new InvalidOperationException($"orleansmount-latency-proxy exited with code {process.ExitCode} before listening: {output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var proxy = new LatencyProxyProcess(process, output, await WaitAsync(bound.Task, process, output).ConfigureAwait(false));
        return proxy;
    }

    /// <summary>The proxy's counters (<c>GET /__proxy/stats</c>).</summary>
    public async Task<ProxyCounters> StatsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return (await http.GetFromJsonAsync<ProxyCounters>(new Uri(Endpoint + "/__proxy/stats")).ConfigureAwait(false))!;
    }

    public void Dispose() => ServiceProcess.Kill(_process, entireTree: true);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<string> WaitAsync(Task<string> bound, Process process, CapturedOutput output)
    {
        try
        {
            return await bound.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ServiceProcess.Kill(process, entireTree: true);
            throw new TimeoutException($"orleansmount-latency-proxy did not print its address within 30 s: {output}");
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    /// <summary>The JSON of <c>/__proxy/stats</c>; <see cref="Faults"/> is keyed by the proxy's FaultKind names.</summary>
    public sealed record ProxyCounters(long Requests, long Forwarded, long UpstreamErrors, long BytesToClients, IReadOnlyDictionary<string, long> Faults, long GetRequests = 0, long GetBytes = 0)
    {
        /// <summary>How many times a fault kind (InternalError, SlowDown, Reset, ResetMidBody, Stall) was injected.</summary>
        public long Injected(string kind) => Faults.TryGetValue(kind, out var n) ? n : throw new Xunit.Sdk.XunitException($"the proxy counts no fault kind {kind}; it counts {string.Join(", ", Faults.Keys)}");
    }
}
