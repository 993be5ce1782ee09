using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Security;

/// <summary>
/// What a real silo exposes: its Unix socket (owner and group only, in an owner-only directory), its
/// TCP listener (loopback unless told otherwise, checked in a network namespace of its own so the
/// default port is free) and read-only views that answer nothing but GET.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ExposureTests(S3rverServer s3) : NodeProcessTests(s3, "om-expose-")
{
    private const string SecretText = "exposure-test-secret-0123456789";

    [Fact]
    public async Task The_socket_is_owner_and_group_only_in_an_owner_only_directory()
    {
        var socket = Path.Combine(Temp.Path, "run", "silo.sock");
        var silo = await StartSiloAsync(CatalogDirectory(), Temp.Sub("cache"), socket);
        var mode = File.GetUnixFileMode(socket);
        Assert.Equal(UnixFileMode.None, mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute));
        Assert.Equal(UnixFileMode.None, mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(socket)!));
        Assert.True((File.GetAttributes(socket) & FileAttributes.Directory) == 0);
        Assert.Equal(silo.Socket, socket);
    }

    [Fact]
    public async Task Without_listen_the_silo_listens_on_loopback_only()
    {
        // A fresh network namespace: its own loopback and ports, so 7380 is free whatever else runs here.
        var cache = Temp.Sub("cache");
        var socket = Path.Combine(Temp.Path, "ns.sock");
        var start = new ProcessStartInfo("unshare")
        {
            ArgumentList = { "--net", "--", "/bin/sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", RepoPaths.Silo, "--catalog", CatalogDirectory(), "--cache-dir", cache, "--socket", socket },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var log = new CapturedOutput();
        log.Attach(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = UnixSocketClient(socket);
            SiloInfo? info = null;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); info is null; await Task.Delay(100))
            {
                Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "the silo did not answer on its socket:\n" + log);
                try
                {
                    info = await http.GetFromJsonAsync<SiloInfo>("api/v1/info");
                }
                catch (HttpRequestException)
                {
                }
            }

            Assert.Equal("127.0.0.1:7380", info.Listen);
            // The HTTP listener, and the Orleans silo endpoint of the one-silo cluster on a free loopback port.
            var listening = ListeningSockets(process.Id);
            Assert.Equal(2, listening.Count);
            Assert.Contains("127.0.0.1:7380", listening);
            Assert.All(listening, endpoint => Assert.StartsWith("127.0.0.1:", endpoint, StringComparison.Ordinal));
        }
        finally
        {
            ServiceProcess.Kill(process, entireTree: true);
        }
    }

    [Fact]
    public async Task The_read_only_views_answer_only_get_and_everything_else_needs_the_secret()
    {
        var secretFile = Path.Combine(Temp.Path, "secret");
        await File.WriteAllTextAsync(secretFile, SecretText);
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var silo = await StartSiloAsync(CatalogDirectory(), Temp.Sub("cache"), Path.Combine(Temp.Path, "silo.sock"), ["--secret-file", secretFile]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };
        string[] views = ["/", "/metrics", "/api/v1/info", "/api/v1/stats", "/api/v1/members"];
        var rejected = 0;
        foreach (var path in views)
        {
            using (var get = await http.GetAsync(new Uri(path, UriKind.Relative)))
            {
                Assert.NotEqual(HttpStatusCode.Unauthorized, get.StatusCode);
            }

            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
            {
                using var unsigned = await http.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent("{}") });
                Assert.True(unsigned.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} unsigned answered {(int)unsigned.StatusCode}");
                rejected++;
            }
        }

        // Even signed, a view takes no writes: there is no such endpoint.
        var secret = ClusterSecret.FromText(SecretText, "test");
        using var signed = new HttpRequestMessage(HttpMethod.Post, "/api/v1/stats") { Content = new StringContent("{}") };
        signed.Headers.Add(ClusterSecret.HeaderName, secret.Sign("POST", "/api/v1/stats", "{}"u8, DateTimeOffset.UtcNow));
        using var answer = await http.SendAsync(signed);
        Assert.True(answer.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound, $"signed POST /api/v1/stats answered {(int)answer.StatusCode}");
        Assert.Equal(rejected, (await silo.StatsAsync()).AuthRejected);
    }

    private string CatalogDirectory()
    {
        var catalog = Temp.Sub("catalog");
        return new Uri(catalog + "/").AbsoluteUri;
    }

    private static HttpClient UnixSocketClient(string socket) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
            return new NetworkStream(s, ownsSocket: true);
        },
    })
    {
        BaseAddress = new Uri("http://localhost/"),
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The TCP sockets listening in the network namespace of a process, as IP:PORT (from /proc/PID/net/tcp and tcp6).</summary>
    private static List<string> ListeningSockets(int pid)
    {
        var result = new List<string>();
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] != "0A")
                {
                    continue; // not LISTEN
                }

                var (hex, port) = (fields[1].Split(':')[0], int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                var bytes = Convert.FromHexString(hex);
                for (var i = 0; i < bytes.Length; i += 4)
                {
                    Array.Reverse(bytes, i, 4); // each 32-bit word is in host (little-endian) order
                }

                result.Add(new IPEndPoint(new IPAddress(bytes), port).ToString());
            }
        }

        return result;
    }
}
