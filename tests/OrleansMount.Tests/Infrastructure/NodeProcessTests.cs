using System.Text.Json;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// Base of tests that run real silos and mounts against the shared s3rver: the AWS environment that
/// reaches it, a temp directory, and cleanup of every mount and silo the test started, even on failure.
/// </summary>
public abstract class NodeProcessTests(S3rverServer s3, string tempPrefix) : IAsyncLifetime
{
    protected const int MiB = 1024 * 1024;

    private readonly List<string> _mounts = [];
    private readonly List<SiloProcess> _silos = [];

    /// <summary>The silos this test started, in order.</summary>
    protected IReadOnlyList<SiloProcess> Silos => _silos;

    protected TempDirectory Temp { get; } = new(tempPrefix);

    protected S3rverServer S3 { get; } = s3;

    /// <summary>Where the processes reach the object store: s3rver itself unless a test puts a proxy in front.</summary>
    protected string? ObjectStoreEndpoint { get; set; }

    /// <summary>Variables added to <see cref="Env"/> for every process this test starts.</summary>
    protected Dictionary<string, string?> ExtraEnv { get; } = [];

    protected Dictionary<string, string?> Env
    {
        get
        {
            var env = new Dictionary<string, string?>
            {
                ["AWS_ENDPOINT_URL"] = ObjectStoreEndpoint ?? S3.Endpoint,
                ["AWS_REGION"] = S3rverServer.Region,
                ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKey,
                ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretKey,
                ["AWS_EC2_METADATA_DISABLED"] = "true",
            };
            foreach (var (key, value) in ExtraEnv)
            {
                env[key] = value;
            }

            return env;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var mount in _mounts.Where(FuseMounts.IsMounted))
        {
            await ProcessRunner.RunAsync("fusermount3", ["-u", "-z", mount]);
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Seeds <paramref name="count"/> random files of <paramref name="minSize"/> to <paramref name="maxSize"/> bytes in a new bucket under ds/ and imports them.</summary>
    protected async Task<(string Catalog, Dictionary<string, byte[]> Files)> SeedAndImportAsync(string prefix, string snapshot, int count, int minSize, int maxSize, Func<int, string> name)
    {
        var bucket = await S3.CreateUniqueBucketAsync(prefix);
        var random = new Random(count + minSize);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[random.Next(minSize, maxSize + 1)];
            random.NextBytes(bytes);
            files[name(i)] = bytes;
            S3.SeedObject(bucket, "ds/" + name(i), bytes);
        }

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", snapshot], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        return ($"s3://{bucket}/.orleansmount/", files);
    }

    /// <param name="environment">Variables set (or, with a null value, removed) on top of <see cref="Env"/>.</param>
    protected async Task<SiloProcess> StartSiloAsync(string catalog, string cache, string socket, IReadOnlyList<string>? extraArgs = null, string cacheSize = "2GiB", IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = Env;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }

        var silo = await SiloProcess.StartAsync(catalog, cache, socket, env, cacheSize, extraArgs: extraArgs);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>
    /// Mounts with <c>--no-warm-up</c> and, unless <paramref name="extra"/> sets it, <c>--readahead-files 0</c>: these tests
    /// count the object-store traffic of what they read, and a warm-up (a prefetch of the whole snapshot once readers walk
    /// it) or readahead across files (the next files of a walk in name order) would add to it. <see cref="MountWithWarmUpAsync"/>
    /// mounts as users do; WarmUpMountTests and ReadaheadAndMetadataPrefetchTests test those two.
    /// </summary>
    protected Task MountAsync(string name, string mnt, string socket, string log, params string[] extra) =>
        MountWithWarmUpAsync(name, mnt, socket, log, extra.Contains("--readahead-files") ? ["--no-warm-up", .. extra] : ["--no-warm-up", "--readahead-files", "0", .. extra]);

    protected async Task MountWithWarmUpAsync(string name, string mnt, string socket, string log, params string[] extra)
    {
        var result = await ProcessRunner.RunAsync(RepoPaths.Cli, ["mount", name, mnt, "--silo", socket, "--log-file", log, .. extra], Env);
        Assert.True(result.ExitCode == 0, result.ToString());
        _mounts.Add(mnt);
        Assert.True(FuseMounts.IsMounted(mnt));
    }

    protected static async Task UnmountAsync(string mnt)
    {
        var result = await ProcessRunner.RunAsync(RepoPaths.Cli, ["umount", mnt]);
        Assert.True(result.ExitCode == 0, result.ToString());
        for (var i = 0; i < 100 && FuseMounts.IsMounted(mnt); i++)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Starts one silo per name (cache <c>cache-NAME</c>, socket <c>NAME.sock</c>, silo id NAME) in one
    /// cluster on <paramref name="redis"/>, and waits until every one of them sees them all active.
    /// </summary>
    protected async Task<List<SiloProcess>> StartClusterAsync(string catalog, string redis, string cluster, IReadOnlyList<string> names, IReadOnlyList<string>? extraArgs = null)
    {
        var silos = new List<SiloProcess>();
        foreach (var name in names)
        {
            silos.Add(await StartSiloAsync(catalog, Temp.Sub("cache-" + name), SocketOf(name), ["--redis", redis, "--cluster", cluster, "--silo-id", name, .. extraArgs ?? []]));
        }

        foreach (var silo in silos)
        {
            await WaitForActiveAsync(silo, names.Count);
        }

        return silos;
    }

    /// <summary>Mounts the snapshot once per node name at <c>mnt-NAME</c> through that node's silo; returns the mountpoints.</summary>
    protected async Task<List<string>> MountOnEachAsync(string snapshot, IReadOnlyList<string> names)
    {
        var mounts = new List<string>();
        foreach (var name in names)
        {
            var mnt = Temp.Sub("mnt-" + name);
            await MountAsync(snapshot, mnt, SocketOf(name), Path.Combine(Temp.Path, name + "-mount.log"));
            mounts.Add(mnt);
        }

        return mounts;
    }

    /// <summary>The socket of the silo <see cref="StartClusterAsync"/> started for a node name.</summary>
    protected string SocketOf(string name) => Path.Combine(Temp.Path, name + ".sock");

    /// <summary>Waits until <paramref name="silo"/> sees <paramref name="count"/> active members.</summary>
    protected static async Task WaitForActiveAsync(SiloProcess silo, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await silo.MembersAsync()).Members.Count(m => m.Status == "Active") != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"silo does not see {count} active members:\n" + silo.Log);
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until the silo has exactly one prefetch job and it has finished, and returns it; more than one job fails at
    /// once, and so does a deadline passed (<paramref name="what"/> and <paramref name="detail"/> name what was awaited).
    /// </summary>
    protected static async Task<PrefetchJobStatus> WaitForTheOnlyPrefetchJobAsync(SiloProcess silo, string what, Func<string>? detail = null, int seconds = 60)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); ; await Task.Delay(100))
        {
            var jobs = await silo.GetJsonAsync<List<PrefetchJobStatus>>("api/v1/prefetch");
            if (jobs.Count == 1 && PrefetchState.IsFinished(jobs[0].State))
            {
                return jobs[0];
            }

            Assert.True(jobs.Count <= 1, $"more than one prefetch job while waiting for {what}: " + JsonSerializer.Serialize(jobs));
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}: " + JsonSerializer.Serialize(jobs) + (detail is null ? "" : "\n" + detail()));
        }
    }

    /// <summary>
    /// Waits until every chunk a silo read from the object store has been through its disk write (stored, or found
    /// uncacheable, or failed): a read through a mount returns as the chunk streams in, before that (decision 0035), so
    /// a test that counts or damages chunk files, or stops the silo, after reading waits for this first.
    /// </summary>
    protected static async Task<Grains.Protocol.SiloStats> FillsStoredAsync(SiloProcess silo)
    {
        var stats = await silo.StatsAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); stats.Fills + stats.FillErrors < stats.ObjectStoreGets; stats = await silo.StatsAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{stats.ObjectStoreGets} chunks read from the object store, {stats.Fills} stored and {stats.FillErrors} failed after 30 s");
            await Task.Delay(50);
        }

        return stats;
    }

    /// <summary>Log lines and views arrive asynchronously (pipes, file sinks, polling): wait with a deadline.</summary>
    protected static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 10)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); !condition(); await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
        }
    }
}
