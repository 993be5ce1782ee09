using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>
/// The systemd units as `systemd-analyze verify` judges them (no systemd needs to run here: it loads the units
/// from a scratch root holding the distribution's units, ours, and stand-ins for the executables they start),
/// plus what verify cannot know: ordering, restart policy and the programs' real flags.
/// </summary>
[IntegrationTest]
public sealed class SystemdTests
{
    private const string Silo = "orleansmount-silo.service";
    private const string MountTemplate = "orleansmount-mount@.service";
    private static readonly string[] InstalledPrograms = ["/usr/local/bin/orleansmount", "/usr/local/bin/orleansmount-silo"];

    [Fact]
    public async Task Units_pass_systemd_analyze_verify_with_no_warning()
    {
        using var root = new TempDirectory("om-systemd-");
        await PrepareRootAsync(root.Path, File.ReadAllText(Path.Combine(DeployFiles.Systemd, Silo)), File.ReadAllText(Path.Combine(DeployFiles.Systemd, MountTemplate)));
        var result = await VerifyAsync(root.Path, Silo, "orleansmount-mount@imagenet-2024.service");
        Assert.True(result.ExitCode == 0 && result.StandardError.Trim().Length == 0, "systemd-analyze verify:\n" + result);
    }

    [Fact]
    public async Task Systemd_analyze_verify_reports_a_misspelt_key_and_a_missing_executable()
    {
        var mount = File.ReadAllText(Path.Combine(DeployFiles.Systemd, MountTemplate));
        using (var root = new TempDirectory("om-systemd-"))
        {
            await PrepareRootAsync(root.Path, File.ReadAllText(Path.Combine(DeployFiles.Systemd, Silo)), mount.Replace("RestartSec=", "RestartSecs=", StringComparison.Ordinal));
            var result = await VerifyAsync(root.Path, "orleansmount-mount@x.service");
            Assert.Contains("RestartSecs", result.StandardError, StringComparison.Ordinal);
        }

        using (var root = new TempDirectory("om-systemd-"))
        {
            await PrepareRootAsync(root.Path, File.ReadAllText(Path.Combine(DeployFiles.Systemd, Silo)), mount.Replace("/usr/local/bin/orleansmount mount", "/usr/local/bin/orleansmnt mount", StringComparison.Ordinal));
            var result = await VerifyAsync(root.Path, "orleansmount-mount@x.service");
            Assert.True(result.ExitCode != 0, "a missing ExecStart program passed verify:\n" + result);
        }
    }

    [Fact]
    public async Task Mount_instances_follow_the_silo_and_every_flag_is_a_real_one()
    {
        var silo = Unit.Parse(File.ReadAllText(Path.Combine(DeployFiles.Systemd, Silo)));
        var mount = Unit.Parse(File.ReadAllText(Path.Combine(DeployFiles.Systemd, MountTemplate)));

        Assert.Contains("network-online.target", silo.Words("Unit", "After"));
        Assert.Contains("network-online.target", silo.Words("Unit", "Wants"));
        Assert.Contains(Silo, mount.Words("Unit", "Requires"));
        Assert.Contains(Silo, mount.Words("Unit", "After"));
        foreach (var unit in new[] { silo, mount })
        {
            Assert.Equal("on-failure", unit.Single("Service", "Restart"));
            Assert.NotNull(unit.Single("Service", "RestartSec"));
            Assert.Equal("multi-user.target", unit.Single("Install", "WantedBy"));
        }

        var siloStart = silo.Single("Service", "ExecStart")!;
        Assert.StartsWith("/usr/local/bin/orleansmount-silo ", siloStart, StringComparison.Ordinal);
        await DeployFiles.AssertRealOptionsAsync(siloStart, "silo", Silo);
        Assert.Equal("orleansmount", silo.Single("Service", "CacheDirectory"));
        Assert.Equal("orleansmount", silo.Single("Service", "RuntimeDirectory"));
        Assert.Contains("--socket /run/orleansmount/silo.sock", siloStart, StringComparison.Ordinal);

        var mountStart = mount.Single("Service", "ExecStart")!;
        Assert.StartsWith("/usr/local/bin/orleansmount mount %i /mnt/orleansmount/%i ", mountStart, StringComparison.Ordinal);
        Assert.Contains("--silo /run/orleansmount/silo.sock", mountStart, StringComparison.Ordinal);
        Assert.Contains("--foreground", mountStart, StringComparison.Ordinal);
        await DeployFiles.AssertRealOptionsAsync(mountStart, "mount", MountTemplate);
        var stop = mount.Single("Service", "ExecStop")!;
        Assert.Equal("/usr/local/bin/orleansmount umount /mnt/orleansmount/%i", stop);
        foreach (var line in mount.All("Service", "ExecStartPre").Concat(mount.All("Service", "ExecStopPost")).Where(l => l.Contains(" umount ", StringComparison.Ordinal)))
        {
            await DeployFiles.AssertRealOptionsAsync(line, "umount", MountTemplate);
        }

        // The example settings file: flags of the silo, settings something reads.
        var env = File.ReadAllLines(Path.Combine(DeployFiles.Systemd, "orleansmount.env"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        await DeployFiles.AssertRealOptionsAsync(env["ORLEANSMOUNT_SILO_ARGS"], "silo", "orleansmount.env ORLEANSMOUNT_SILO_ARGS");
        Assert.Contains(Settings.ClusterSecret, env.Keys);
        Settings.AssertRead(env.Keys, "deploy/systemd/orleansmount.env", siloStart + mountStart);
    }

    /// <summary>A root with this machine's units (verify needs sysinit.target and friends), ours, and stand-ins for every program they run.</summary>
    private static async Task PrepareRootAsync(string root, string siloUnit, string mountUnit)
    {
        var systemd = Path.Combine(root, "usr", "lib", "systemd");
        Directory.CreateDirectory(systemd);
        var copy = await ProcessRunner.RunAsync("cp", ["-a", "/usr/lib/systemd/system", systemd], timeout: TimeSpan.FromSeconds(30));
        Assert.True(copy.ExitCode == 0, copy.ToString());

        var ours = Path.Combine(root, "etc", "systemd", "system");
        Directory.CreateDirectory(ours);
        File.WriteAllText(Path.Combine(ours, Silo), siloUnit);
        File.WriteAllText(Path.Combine(ours, MountTemplate), mountUnit);

        // The two installed programs (deploy/README.md) stand in as stubs; any other program must exist on this machine.
        foreach (var program in new[] { siloUnit, mountUnit }.SelectMany(u => Unit.Parse(u).ExecPrograms()).Distinct(StringComparer.Ordinal))
        {
            if (program.StartsWith("/usr/local/bin/", StringComparison.Ordinal) && !InstalledPrograms.Contains(program))
            {
                continue; // not installed: verify must report it
            }

            if (!InstalledPrograms.Contains(program))
            {
                Assert.True(File.Exists(program), $"{program} (run by a unit) does not exist on this machine");
            }

            var stub = Path.Combine(root, program.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(stub)!);
            File.WriteAllText(stub, "#!/bin/sh\n");
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static Task<ProcessRunner.Result> VerifyAsync(string root, params string[] units) =>
        ProcessRunner.RunAsync(DeployFiles.RequireTool("systemd-analyze", "systemd"), ["verify", "--man=no", "--root=" + root, .. units], timeout: TimeSpan.FromSeconds(60));
}
