using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>A real <c>orleansmount-silo</c> process on a free loopback port and its own socket; stopped by pid.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly CapturedOutput _log = new();
    private readonly HttpClient _http;

    private SiloProcess(Process process, string socket, string cacheDirectory, int port)
    {
        _process = process;
        Socket = socket;
        CacheDirectory = cacheDirectory;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        _log.Attach(process);
    }

    public string Socket { get; }

    public string CacheDirectory { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Log => _log.ToString();

    public static async Task<SiloProcess> StartAsync(string catalog, string cacheDirectory, string socket, IDictionary<string, string?> environment, string cacheSize = "2GiB", int? port = null, IEnumerable<string>? extraArgs = null)
    {
        var chosen = port ?? FreePort();
        var info = new ProcessStartInfo(RepoPaths.Silo)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A setting the caller passes in extraArgs (e.g. --log-level, --cache-size) replaces the default here.
        var extra = (extraArgs ?? []).ToList();
        if (extra.Contains("--redis") && !extra.Contains("--silo-port"))
        {
            // Silos of one test share this machine: each its own Orleans port (Orleans' default is 11111 for all).
            extra.AddRange(["--silo-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        string[] defaults = ["--catalog", catalog, "--cache-dir", cacheDirectory, "--socket", socket, "--listen", $"127.0.0.1:{chosen}", "--cache-size", cacheSize, "--log-level", "Information"];
        var args = defaults.Chunk(2).Where(pair => !extra.Contains(pair[0])).SelectMany(pair => pair).Concat(extra);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info)!;
        var silo = new SiloProcess(process, socket, cacheDirectory, chosen);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {process.ExitCode}:\n{silo.Log}");
            }

            try
            {
                await silo._http.GetFromJsonAsync<SiloInfo>("api/v1/info");
                return silo;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        await silo.DisposeAsync();
        throw new TimeoutException("the silo did not answer within 60 s:\n" + silo.Log);
    }

    public async Task<SiloStats> StatsAsync() => (await _http.GetFromJsonAsync<SiloStats>("api/v1/stats"))!;

    public async Task<SiloMembers> MembersAsync() => (await _http.GetFromJsonAsync<SiloMembers>("api/v1/members"))!;

    public async Task<T> GetJsonAsync<T>(string path) => (await _http.GetFromJsonAsync<T>(path))!;

    public Task<HttpResponseMessage> PostJsonAsync<T>(string path, T body) => _http.PostAsJsonAsync(path, body);

    /// <summary>The exit code, once the process has exited (a graceful stop exits 0).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>kill -9: no goodbye to the cluster, no cleanup.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then SIGKILL if it has not exited in 10 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        _http.Dispose();
    }

    public static int FreePort() => CapturedOutput.FreePort();
}
