using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, with no persistence (a restart starts
/// empty). Use it as an xunit class fixture or directly with <see cref="StartAsync"/>; stop it by
/// pid with <see cref="Kill"/> and bring it back on the same port with <see cref="RestartAsync"/>.
/// With a password it requires one (<c>requirepass</c>, given on its standard input as a configuration
/// file, never on its command line). A missing redis-server fails the test: run <c>./build.sh deps</c>.
/// </summary>
public sealed class RedisServer : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly CapturedOutput _output = new();
    private Process? _process;
    private string? _dataDirectory;

    public int Port { get; private set; }

    /// <summary>The password clients must give (<c>requirepass</c>); null: none.</summary>
    public string? Password { get; private set; }

    /// <summary>A StackExchange.Redis configuration string reaching this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The server's process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <param name="durable">Keep the data across <see cref="Kill"/> and <see cref="RestartAsync"/> (append-only file, fsync always), as a production Redis does.</param>
    /// <param name="password">Require this password of every client (<c>requirepass</c>).</param>
    public static async Task<RedisServer> StartAsync(bool durable = false, string? password = null)
    {
        var server = new RedisServer { Password = password };
        if (durable)
        {
            server._dataDirectory = Directory.CreateTempSubdirectory("om-redis-").FullName;
        }

        try
        {
            await server.StartCoreAsync(CapturedOutput.FreePort()).ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary><c>ORLEANSMOUNT_REDIS_SERVER</c>, else <c>redis-server</c> on PATH or in /usr/bin, /usr/sbin.</summary>
    public static string FindExecutable()
    {
        if (Environment.GetEnvironmentVariable("ORLEANSMOUNT_REDIS_SERVER") is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"ORLEANSMOUNT_REDIS_SERVER={configured} does not exist; unset it or run ./build.sh deps");
        }

        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("redis-server is not installed (needed by the Redis membership tests): run ./build.sh deps");
    }

    /// <summary>Kills the server by pid (SIGKILL: no goodbye to clients) and waits for it to exit.</summary>
    public void Kill()
    {
        ServiceProcess.Kill(Interlocked.Exchange(ref _process, null), entireTree: false);
    }

    /// <summary>Starts the server again on the same port: empty, or with its data when durable.</summary>
    public Task RestartAsync()
    {
        Kill();
        return StartCoreAsync(Port);
    }

    public void Dispose()
    {
        Kill();
        if (_dataDirectory is { } directory)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    Task IAsyncLifetime.InitializeAsync() => StartCoreAsync(CapturedOutput.FreePort());

    Task IAsyncLifetime.DisposeAsync()
    {
        Kill();
        return Task.CompletedTask;
    }

    private async Task StartCoreAsync(int port)
    {
        var executable = FindExecutable();
        Port = port;
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList =
            {
                // "-": the configuration file is standard input (it holds only requirepass, or nothing).
                "-",
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", _dataDirectory is null ? "no" : "yes",
                "--appendfsync", "always",
                "--daemonize", "no",
                "--dir", _dataDirectory ?? Path.GetTempPath(),
            },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        _process = process;
        if (Password is { } password)
        {
            await process.StandardInput.WriteLineAsync($"requirepass \"{password}\"").ConfigureAwait(false);
        }

        process.StandardInput.Close();
        _output.Attach(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} before answering on port {port}: {_output}");
            }

            if (await PingAsync(port, Password).ConfigureAwait(false))
            {
                return;
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {port} within {StartTimeout.TotalSeconds} s: {_output}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>The values of a hash (HVALS, after AUTH when the server has a password), e.g. Orleans' membership entries.</summary>
    public async Task<IReadOnlyList<string>> HashValuesAsync(string key)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        var command = (Password is null ? "" : Command("AUTH", Password)) + Command("HVALS", key);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command), timeout.Token).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (Password is not null)
        {
            var auth = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (auth != "+OK")
            {
                throw new InvalidOperationException($"redis-server refused AUTH: {auth}");
            }
        }

        var header = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? "";
        if (!header.StartsWith('*'))
        {
            throw new InvalidOperationException($"HVALS {key} answered {header}");
        }

        var values = new List<string>();
        for (var count = int.Parse(header.AsSpan(1), CultureInfo.InvariantCulture); values.Count < count;)
        {
            await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false); // $LENGTH: the values hold no line breaks
            values.Add(await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? "");
        }

        return values;

        static string Command(params string[] parts) =>
            $"*{parts.Length}\r\n" + string.Concat(parts.Select(p => $"${Encoding.UTF8.GetByteCount(p)}\r\n{p}\r\n"));
    }

    /// <summary>PING (after AUTH when the server has a password): true once it answers PONG.</summary>
    private static async Task<bool> PingAsync(int port, string? password)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            var command = password is null ? "PING\r\n" : $"AUTH {password}\r\nPING\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command), timeout.Token).ConfigureAwait(false);
            var answer = new StringBuilder();
            var buffer = new byte[64];
            while (!answer.ToString().Contains("+PONG", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (read == 0 || answer.Append(Encoding.ASCII.GetString(buffer, 0, read)).ToString().StartsWith('-'))
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
