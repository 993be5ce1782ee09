using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// A real s3rver process on a free local port with its own temporary data directory. Use it as an
/// xunit class fixture (<c>IClassFixture&lt;S3rverServer&gt;</c>), through
/// <see cref="S3rverCollection"/>, or directly with <see cref="StartAsync"/>. A missing s3rver
/// fails the test: run <c>./build.sh deps</c>.
/// </summary>
/// <remarks>
/// Quirks of s3rver 3.7.1 found here, beyond ../shared/PLATFORM.md:
/// <list type="bullet">
/// <item>Listings walk the data directory, so a key whose name continues with a byte below '/'
/// (space, '-', '.') or ends where a directory of the same name begins is listed after that
/// directory's keys: "a/x" before "a b", "a-1", "a.txt" and "a". Real S3 lists byte order.
/// <see cref="S3ObjectStore"/> refuses such a page. Across pages it is worse: the next page skips
/// every key that compares below the continuation key, so those keys silently vanish.</item>
/// <item>A ranged GET of a 0-byte object answers 206 with <c>Content-Range: bytes 0-0/0</c> and a
/// Content-Length of 1 it never sends: reading the body hangs until the client times out.</item>
/// <item>A range starting at or past the end answers 416 InvalidRange (like S3).</item>
/// </list>
/// </remarks>
public sealed class S3rverServer : IAsyncLifetime, IDisposable
{
    /// <summary>s3rver's fixed credentials.</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>s3rver's fixed credentials.</summary>
    public const string SecretKey = "S3RVER";

    /// <summary>The region s3rver signs for.</summary>
    public const string Region = "us-east-1";

    private const string ObjectSuffix = "._S3rver_object";

    private Process? _process;
    private readonly CapturedOutput _output = new();

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>s3rver's data directory: one sub-directory per bucket.</summary>
    public string DataDirectory { get; private set; } = "";

    /// <summary>Options that reach this server: its credentials, region and path-style addressing.</summary>
    public S3ObjectStoreOptions Options => new()
    {
        ServiceUrl = Endpoint,
        Region = Region,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        ForcePathStyle = true,
        RequestTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Starts a server and waits until it answers.</summary>
    public static async Task<S3rverServer> StartAsync()
    {
        var server = new S3rverServer();
        try
        {
            await server.StartCoreAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The s3rver launcher: <c>ORLEANSMOUNT_S3RVER</c>, else <c>.tools/s3rver/node_modules/.bin/s3rver</c> under the repository root.</summary>
    public static string FindExecutable()
    {
        if (Environment.GetEnvironmentVariable("ORLEANSMOUNT_S3RVER") is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"ORLEANSMOUNT_S3RVER={configured} does not exist; unset it or run ./build.sh deps");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansMount.sln")))
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "s3rver", "node_modules", ".bin", "s3rver");
                return File.Exists(candidate)
                    ? candidate
                    : throw new InvalidOperationException($"s3rver is not installed at {candidate}: run ./build.sh deps in {dir.FullName}");
            }
        }

        throw new InvalidOperationException($"cannot find the repository root (OrleansMount.sln) above {AppContext.BaseDirectory} to locate s3rver: run ./build.sh deps or set ORLEANSMOUNT_S3RVER");
    }

    /// <summary>Creates a bucket through the S3 API.</summary>
    public async Task CreateBucketAsync(string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.PutAsync(new Uri($"{Endpoint}/{name}"), null).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"creating bucket {name} on s3rver failed: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>Creates a bucket with a fresh unique name and returns the name.</summary>
    public async Task<string> CreateUniqueBucketAsync(string stem = "t")
    {
        var name = $"{stem}-{Guid.NewGuid():N}"[..Math.Min(63, stem.Length + 33)];
        await CreateBucketAsync(name).ConfigureAwait(false);
        return name;
    }

    /// <summary>An <see cref="S3ObjectStore"/> reaching this server with <see cref="Options"/> (optionally adjusted).</summary>
    public S3ObjectStore CreateStore(StoreUri root, Func<S3ObjectStoreOptions, S3ObjectStoreOptions>? adjust = null) =>
        new(root, adjust is null ? Options : adjust(Options));

    /// <summary>
    /// Writes an object straight into s3rver's on-disk layout (<c>DATA/BUCKET/KEY._S3rver_object</c>,
    /// <c>.md5</c>, <c>._S3rver_metadata.json</c>): thousands of objects in well under a second,
    /// versus minutes of PUTs. s3rver reads the layout on every request, so no restart is needed.
    /// The bucket must exist (see <see cref="CreateBucketAsync"/>).
    /// </summary>
    public void SeedObject(string bucket, string key, ReadOnlySpan<byte> content, string contentType = "application/octet-stream")
    {
        var bucketDir = Path.Combine(DataDirectory, bucket);
        if (!Directory.Exists(bucketDir))
        {
            throw new InvalidOperationException($"bucket {bucket} does not exist on this s3rver: create it first");
        }

        if (key.Split('/').Any(s => Encoding.UTF8.GetByteCount(s) + ObjectSuffix.Length + ".md5".Length > 255))
        {
            throw new ArgumentException($"a segment of '{key}' is too long for s3rver's on-disk layout (PLATFORM.md pitfall 6)", nameof(key));
        }

        var objectPath = Path.Combine(bucketDir, key + ObjectSuffix);
        Directory.CreateDirectory(Path.GetDirectoryName(objectPath)!);
        File.WriteAllBytes(objectPath, content.ToArray());
        File.WriteAllText(objectPath + ".md5", Convert.ToHexStringLower(MD5.HashData(content)));
        File.WriteAllText(Path.Combine(bucketDir, key + "._S3rver_metadata.json"), $"{{\n  \"content-type\": \"{contentType}\"\n}}");
    }

    /// <summary>Stops the server (the whole process tree) and deletes its data directory.</summary>
    public Task StopAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        ServiceProcess.Kill(Interlocked.Exchange(ref _process, null), entireTree: true);

        if (DataDirectory.Length > 0 && Directory.Exists(DataDirectory))
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Leave it to the temp cleaner rather than fail a test run.
            }
        }
    }

    Task IAsyncLifetime.InitializeAsync() => StartCoreAsync();

    Task IAsyncLifetime.DisposeAsync() => StopAsync();

    private async Task StartCoreAsync()
    {
        var executable = FindExecutable();
        DataDirectory = Directory.CreateTempSubdirectory("orleansmount-s3rver-").FullName;
        var port = CapturedOutput.FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "-d", DataDirectory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-vhost-buckets", "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Node 20 disables the DES cipher s3rver's continuation tokens use (PLATFORM.md pitfall 3).
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        _output.Attach(_process);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before answering: {_output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Endpoint + "/")).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"s3rver did not answer at {Endpoint} within 30 s: {_output}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}
