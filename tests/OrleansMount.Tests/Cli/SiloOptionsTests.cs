using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Cli;

/// <summary>The real <c>orleansmount-silo</c> refuses bad options at start, naming the option.</summary>
[IntegrationTest]
public sealed class SiloOptionsTests
{
    [Theory]
    [InlineData("--cache-size", "lots", "--cache-size")]
    [InlineData("--chunk-size", "3MiB", "--chunk-size")]
    [InlineData("--listen", "nowhere", "--listen")]
    [InlineData("--socket", "relative.sock", "--socket")]
    [InlineData("--log-level", "Chatty", "--log-level")]
    [InlineData("--log-format", "xml", "--log-format")]
    [InlineData("--catalog", "ftp://x", "--catalog")]
    [InlineData("--redis", "127.0.0.1:6379", "--listen")] // the baseline has --listen none
    [InlineData("--redis", "nohost", "--redis")]
    [InlineData("--advertise", "ftp://x:1", "--advertise")]
    [InlineData("--cluster", "a b", "--cluster")]
    [InlineData("--object-store-attempts", "0", "--object-store-attempts")]
    [InlineData("--object-store-timeout", "soon", "--object-store-timeout")]
    [InlineData("--object-store-deadline", "1ms", "--object-store-deadline")]
    public async Task Invalid_options_fail_at_start_naming_the_option(string option, string value, string named)
    {
        using var temp = new TempDirectory();
        string[] baseline = ["--catalog", "file:///tmp/catalog", "--cache-dir", temp.Path, "--socket", Path.Combine(temp.Path, "s.sock"), "--listen", "none"];
        var args = new List<string>();
        for (var i = 0; i < baseline.Length; i += 2)
        {
            if (baseline[i] != option)
            {
                args.AddRange([baseline[i], baseline[i + 1]]);
            }
        }

        args.AddRange([option, value]);
        var result = await ProcessRunner.RunAsync(RepoPaths.Silo, args, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unusable_certificate_and_redis_password_files_fail_at_start_naming_the_option()
    {
        using var temp = new TempDirectory();
        using var expired = TestCertificates.Create("old", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        using var valid = TestCertificates.Create("cluster");
        var expiredPem = Path.Combine(temp.Path, "expired.pem");
        var certOnly = Path.Combine(temp.Path, "cert-only.pem");
        var validPem = Path.Combine(temp.Path, "cluster.pem");
        var emptyFile = Path.Combine(temp.Path, "empty");
        var passwordFile = Path.Combine(temp.Path, "redis-password");
        var missing = Path.Combine(temp.Path, "missing");
        TestCertificates.WritePem(expired, expiredPem);
        TestCertificates.WritePem(valid, certOnly, withKey: false);
        TestCertificates.WritePem(valid, validPem);
        await File.WriteAllTextAsync(emptyFile, "\n");
        await File.WriteAllTextAsync(passwordFile, "a-password\n");
        string[] clustered = ["--redis", "127.0.0.1:6379", "--listen", $"127.0.0.1:{CapturedOutput.FreePort()}"];
        (string[] Args, string Message)[] cases =
        [
            ([.. clustered, "--tls-certificate", missing], $"--tls-certificate: the certificate file {missing} cannot be read: "),
            ([.. clustered, "--tls-certificate", expiredPem], $"--tls-certificate: the certificate in {expiredPem} is valid from "),
            ([.. clustered, "--tls-certificate", certOnly], $"--tls-certificate: {certOnly} holds a certificate but no PRIVATE KEY block"),
            ([.. clustered, "--tls-certificate", ""], "--tls-certificate needs the path of the cluster certificate file"),
            ([.. clustered, "--redis-password-file", missing], $"--redis-password-file: the file '{missing}' cannot be read: "),
            ([.. clustered, "--redis-password-file", emptyFile], $"--redis-password-file: the file '{emptyFile}' is empty"),
            (["--tls-certificate", validPem], "--tls-certificate secures the connections between silos and needs --redis"),
            (["--redis-password-file", passwordFile], "--redis-password-file is only used with --redis"),
        ];
        foreach (var (extra, message) in cases)
        {
            string[] args = ["--catalog", "file:///tmp/catalog", "--cache-dir", temp.Path, "--socket", Path.Combine(temp.Path, "s.sock"), .. extra.Contains("--listen") ? [] : new[] { "--listen", "none" }, .. extra];
            var result = await ProcessRunner.RunAsync(RepoPaths.Silo, args, timeout: TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 2, $"{string.Join(' ', extra)}: {result}");
            Assert.Contains("orleansmount-silo: " + message, result.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Missing_catalog_is_explained_and_help_lists_every_option()
    {
        using var temp = new TempDirectory();
        var missing = await ProcessRunner.RunAsync(RepoPaths.Silo, ["--cache-dir", temp.Path], new Dictionary<string, string?> { ["ORLEANSMOUNT_CATALOG"] = null });
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--catalog is required", missing.StandardError, StringComparison.Ordinal);
        var help = await ProcessRunner.RunAsync(RepoPaths.Silo, ["--help"]);
        foreach (var option in new[] { "--cache-dir", "--cache-size", "--catalog", "--listen", "--socket", "--chunk-size", "--redis", "--redis-password-file", "--tls-certificate", "--cluster", "--advertise" })
        {
            Assert.Contains(option, help.StandardOutput, StringComparison.Ordinal);
        }
    }
}
