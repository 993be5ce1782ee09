using System.Diagnostics;
using System.Globalization;
using OrleansMount.Native.Fuse;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>
/// deploy/entrypoint.sh with the built programs and a real kernel mount: node mode waits for the import, mounts
/// the snapshot, serves its bytes, and on SIGTERM unmounts and stops the silo; its flags are the programs' own.
/// </summary>
[KernelTest]
public sealed class EntrypointTests
{
    [Fact]
    public async Task Node_mode_waits_for_the_import_mounts_the_snapshot_and_unmounts_on_sigterm()
    {
        using var temp = new TempDirectory("om-entrypoint-");
        var data = temp.Sub("data");
        Directory.CreateDirectory(Path.Combine(data, "train"));
        var payload = new byte[300_000];
        new Random(9).NextBytes(payload);
        await File.WriteAllBytesAsync(Path.Combine(data, "train", "sample.bin"), payload);
        await File.WriteAllTextAsync(Path.Combine(data, "labels.csv"), "path,label\n");
        var catalog = $"file://{temp.Sub("catalog")}/";
        var socket = Path.Combine(temp.Path, "silo.sock");
        var mountpoint = Path.Combine(temp.Path, "mnt", "demo");
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = Path.Combine(RepoPaths.Root, "bin") + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["ORLEANSMOUNT_CATALOG"] = catalog,
            ["ORLEANSMOUNT_SNAPSHOT"] = "demo",
            ["ORLEANSMOUNT_MOUNT_ROOT"] = Path.Combine(temp.Path, "mnt"),
            ["ORLEANSMOUNT_SOCKET"] = socket,
            ["ORLEANSMOUNT_CACHE_DIR"] = temp.Sub("cache"),
            ["ORLEANSMOUNT_CACHE_SIZE"] = "64MiB",
            ["ORLEANSMOUNT_LISTEN"] = $"127.0.0.1:{CapturedOutput.FreePort()}",
            ["ORLEANSMOUNT_WAIT_SECONDS"] = "60",
        };
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "bin", "orleansmount")), "bin/orleansmount is missing: run ./build.sh first");

        var log = new CapturedOutput();
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DeployFiles.Entrypoint);
        info.ArgumentList.Add("node");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var node = Process.Start(info)!;
        log.Attach(node);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            // The node waits: the snapshot does not exist yet. Then the import, run through the entrypoint as a one-shot job.
            await WaitForAsync(() => log.ToString().Contains("waiting for snapshot 'demo'", StringComparison.Ordinal), node, log, "the node to wait for the import");
            var import = await ProcessRunner.RunAsync("bash", [DeployFiles.Entrypoint, "orleansmount", "import", $"file://{data}", "--snapshot", "demo"], environment, TimeSpan.FromSeconds(60));
            Assert.True(import.ExitCode == 0, import.ToString());

            await WaitForAsync(() => FuseMounts.IsMounted(mountpoint), node, log, "the snapshot to be mounted");
            Assert.Equal(payload, await File.ReadAllBytesAsync(Path.Combine(mountpoint, "train", "sample.bin")));
            Assert.Equal("path,label\n", await File.ReadAllTextAsync(Path.Combine(mountpoint, "labels.csv")));
            var status = await ProcessRunner.RunAsync(RepoPaths.Cli, ["status", "--silo", socket], timeout: TimeSpan.FromSeconds(30));
            Assert.True(status.ExitCode == 0, status.ToString());

            // As deployed, the silo and the mount run with tiered compilation off and a 4 MiB gen0 budget
            // (decisions 0008, 0023, 0024 and 0025).
            var children = ProcessProbe.ChildrenOf(node.Id);
            Assert.True(children.Count == 2, $"expected the silo and the mount under the entrypoint, found {children.Count}");
            foreach (var pid in children)
            {
                var variables = ProcessProbe.EnvironmentOf(pid);
                Assert.Contains("DOTNET_TieredCompilation=0", variables);
                Assert.Contains("DOTNET_GCgen0size=0x400000", variables);
            }

            using (var term = Process.Start("kill", ["-TERM", node.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await node.WaitForExitAsync(timeout.Token);
            Assert.True(node.ExitCode == 0, $"exit {node.ExitCode}\n{log}");
            Assert.False(FuseMounts.IsMounted(mountpoint), "still mounted after SIGTERM:\n" + log);
            var after = await ProcessRunner.RunAsync(RepoPaths.Cli, ["status", "--silo", socket], timeout: TimeSpan.FromSeconds(30));
            Assert.True(after.ExitCode != 0, "the silo still answers after SIGTERM:\n" + log);
        }
        finally
        {
            if (FuseMounts.IsMounted(mountpoint))
            {
                await ProcessRunner.RunAsync("fusermount3", ["-u", "-z", mountpoint]);
            }

            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
                await node.WaitForExitAsync();
            }
        }
    }

    [Fact]
    public async Task The_flags_the_entrypoint_passes_are_the_programs_own()
    {
        var script = await File.ReadAllTextAsync(DeployFiles.Entrypoint);
        await DeployFiles.AssertRealOptionsAsync(Function(script, "silo_args"), "silo", "entrypoint silo_args");
        await DeployFiles.AssertRealOptionsAsync(Function(script, "mount_args"), "mount", "entrypoint mount_args");
        await DeployFiles.AssertRealOptionsAsync(Function(script, "wait_for_silo_and_snapshot"), "status", "entrypoint wait_for_silo_and_snapshot");
        await DeployFiles.AssertRealOptionsAsync(Function(script, "prepare_mountpoint"), "umount", "entrypoint prepare_mountpoint");
    }

    private static string Function(string script, string name)
    {
        var start = script.IndexOf($"\n{name}() {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"entrypoint.sh has no function {name}");
        var end = script.IndexOf("\n}\n", start, StringComparison.Ordinal);
        return script[start..end];
    }

    private static async Task WaitForAsync(Func<bool> condition, Process node, CapturedOutput log, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (node.HasExited)
            {
                await node.WaitForExitAsync();
                Assert.Fail($"the entrypoint exited ({node.ExitCode}) before {what}:\n{log}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}:\n{log}");
            await Task.Delay(100);
        }
    }
}
