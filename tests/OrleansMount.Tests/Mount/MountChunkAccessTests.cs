using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansMount.Grains.Protocol;
using OrleansMount.Native.Fuse;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// Issue 17: a mount that cannot read its silo's chunk files (the Kubernetes mount container without the cache
/// volume) still reads right, through the silo, and says so: a warning in its log naming the path and the fix,
/// and a warning line for that mount in <c>orleansmount status</c> and <c>/api/v1/node</c>. Real processes:
/// s3rver, a silo and three kernel FUSE mounts of one snapshot on one node:
/// a normal one (the fast path); one in a mount namespace of its own where a tmpfs hides the silo's cache
/// directory (what a container without the volume sees; read through <c>/proc/PID/root</c>); and one whose
/// process has no root override of file permissions while <c>chunks/</c> belongs to another user, mode 0700
/// (the directory exists but cannot be read).
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class MountChunkAccessTests(S3rverServer s3) : NodeProcessTests(s3, "om-access-")
{
    [Fact]
    public async Task Mounts_that_cannot_read_the_chunk_files_warn_report_it_to_the_silo_and_still_read_right()
    {
        var (catalog, files) = await SeedAndImportAsync("acc", "acc", 5, 1, 9 * MiB, i => $"d/f{i}.bin");
        var cache = Temp.Sub("cache");
        var chunks = Path.Combine(cache, "chunks");
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, cache, socket);

        var normal = Temp.Sub("mnt");
        await MountAsync("acc", normal, socket, Path.Combine(Temp.Path, "mount.log"));
        await AssertReadsAsync(normal, files);
        Assert.DoesNotContain("not readable", await File.ReadAllTextAsync(Path.Combine(Temp.Path, "mount.log")), StringComparison.Ordinal);

        var hiddenMnt = Temp.Sub("mnt-hidden");
        var lockedMnt = Temp.Sub("mnt-locked");
        await using var hidden = await IsolatedMount.StartAsync(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", "mount -t tmpfs om-test-hide \"$1\" && shift && exec \"$@\"", "sh", cache],
            RepoPaths.Cli, ["mount", "acc", hiddenMnt, "--silo", socket, "--foreground"], Env);
        // Owned by nobody, 0700: the silo (root with every capability) still writes there; the mount cannot read it.
        File.SetUnixFileMode(chunks, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, (await ProcessRunner.RunAsync("chown", ["65534:65534", chunks])).ExitCode);
        await using var locked = await IsolatedMount.StartAsync(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--"],
            RepoPaths.Cli, ["mount", "acc", lockedMnt, "--silo", socket, "--foreground"], Env);

        // Both read every byte right, through the silo.
        await AssertReadsAsync($"/proc/{hidden.Pid}/root{hiddenMnt}", files);
        await AssertReadsAsync(lockedMnt, files);

        // Their logs say what is wrong, which path was tried, and what to do.
        Assert.Contains($"chunk files not readable at {chunks} (the cache directory has no chunks/ directory here): every read goes through the silo", hidden.Log, StringComparison.Ordinal);
        Assert.Contains($"Mount the silo's cache directory into the mount's container at {cache}, read-only", hidden.Log, StringComparison.Ordinal);
        Assert.Contains($"chunk files not readable at {chunks} (not readable: ", locked.Log, StringComparison.Ordinal);

        // The silo lists all three: /api/v1/node, `status --json` and `status`.
        NodeReport node = null!;
        await WaitForAsync(() => (node = silo.GetJsonAsync<NodeReport>("api/v1/node").GetAwaiter().GetResult()).Mounts?.Count == 3, "three registered mounts");
        var byMountpoint = node.Mounts!.ToDictionary(m => m.Mount.Mountpoint, StringComparer.Ordinal);
        Assert.True(byMountpoint[normal].Mount.LocalChunks);
        Assert.Null(byMountpoint[normal].Warning);
        Assert.Equal(chunks, byMountpoint[normal].Mount.ChunkDirectory);
        foreach (var (mnt, process) in new[] { (hiddenMnt, hidden), (lockedMnt, locked) })
        {
            var status = byMountpoint[mnt];
            Assert.False(status.Mount.LocalChunks);
            Assert.Equal(process.Pid, status.Mount.Pid);
            Assert.StartsWith($"mount {mnt}: chunk files not readable at {chunks} (", status.Warning, StringComparison.Ordinal);
            Assert.Contains("every read goes through the silo", status.Warning, StringComparison.Ordinal);
        }

        var json = await ProcessRunner.RunAsync(RepoPaths.Cli, ["status", "--silo", socket, "--json"], Env);
        Assert.True(json.ExitCode == 0, json.ToString());
        var mounts = JsonDocument.Parse(json.StandardOutput).RootElement.GetProperty("mounts").EnumerateArray()
            .ToDictionary(m => m.GetProperty("mount").GetProperty("mountpoint").GetString()!, StringComparer.Ordinal);
        Assert.True(mounts[normal].GetProperty("mount").GetProperty("localChunks").GetBoolean());
        Assert.False(mounts[hiddenMnt].GetProperty("mount").GetProperty("localChunks").GetBoolean());
        Assert.Contains("every read goes through the silo", mounts[lockedMnt].GetProperty("warning").GetString(), StringComparison.Ordinal);
        var text = await ProcessRunner.RunAsync(RepoPaths.Cli, ["status", "--silo", socket], Env);
        Assert.Contains($"mount       WARNING mount {hiddenMnt}: chunk files not readable", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"mount       WARNING mount {lockedMnt}: chunk files not readable", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"mount       {normal} (snapshot acc, pid ", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"chunk files read directly from {chunks}", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"mount {hiddenMnt}: chunk files not readable", silo.Log, StringComparison.Ordinal);

        // A mount that stops unregisters.
        await hidden.StopAsync();
        await locked.StopAsync();
        await UnmountAsync(normal);
        // Generous: a stopping mount unregisters after its FUSE session ends, which takes seconds on a loaded machine.
        for (var deadline = DateTime.UtcNow.AddSeconds(40); ; await Task.Delay(100))
        {
            var left = (await silo.GetJsonAsync<NodeReport>("api/v1/node")).Mounts?.Select(m => m.Mount.Mountpoint).ToList() ?? [];
            if (left.Count == 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"mounts still registered 40 s after they stopped: {string.Join(", ", left)}\nsilo log:\n{silo.Log}");
        }
    }

    private static async Task AssertReadsAsync(string root, Dictionary<string, byte[]> files)
    {
        foreach (var (name, content) in files)
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(root, name));
            Assert.True(content.AsSpan().SequenceEqual(read), $"content of {name} under {root}");
        }
    }

    /// <summary>
    /// An <c>orleansmount mount --foreground</c> started through a wrapper that execs it (unshare, setpriv), so its
    /// pid is the wrapper's; ready once it prints its ready line. Stopped with SIGTERM (it unmounts itself).
    /// </summary>
    private sealed class IsolatedMount : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly CapturedOutput _log = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _mountpoint;

        private IsolatedMount(Process process, string mountpoint)
        {
            _process = process;
            _mountpoint = mountpoint;
        }

        public int Pid => _process.Id;

        public string Log => _log.ToString();

        public static async Task<IsolatedMount> StartAsync(string[] wrapper, string cli, string[] args, IDictionary<string, string?> environment)
        {
            var info = new ProcessStartInfo(wrapper[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in wrapper.Skip(1).Append(cli).Concat(args))
            {
                info.ArgumentList.Add(arg);
            }

            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }

            var process = Process.Start(info)!;
            var mount = new IsolatedMount(process, args[2]);
            mount._log.Attach(process);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("ORLEANSMOUNT-READY", StringComparison.Ordinal) == true)
                {
                    mount._ready.TrySetResult();
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(mount._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
            if (first != mount._ready.Task)
            {
                await mount.DisposeAsync();
                throw new Xunit.Sdk.XunitException($"{string.Join(' ', info.ArgumentList)} did not become ready:\n{mount.Log}");
            }

            return mount;
        }

        public async Task StopAsync()
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill!.WaitForExitAsync();
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill();
                    await _process.WaitForExitAsync();
                }
            }

            // Only the setpriv mount is in this namespace; the other one's went away with its namespace.
            if (FuseMounts.IsMounted(_mountpoint))
            {
                await ProcessRunner.RunAsync("fusermount3", ["-u", "-z", _mountpoint]);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _process.Dispose();
        }
    }
}
