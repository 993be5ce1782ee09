using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>
/// No container engine runs here, so deploy/verify-dockerfile.sh performs the Dockerfile's steps on this machine
/// (Debian 12, like the runtime stage): package installs, the publish commands, the image's file layout, and the
/// entrypoint running both programs from it. These tests run it, and check that it fails on a broken Dockerfile.
/// </summary>
[IntegrationTest]
public sealed class DockerfileTests
{
    private static string Script => Path.Combine(RepoPaths.Root, "deploy", "verify-dockerfile.sh");

    [Fact]
    public async Task The_dockerfile_steps_install_publish_and_run_both_programs_on_this_machine()
    {
        var result = await VerifyAsync(DeployFiles.Dockerfile);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("orleansmount-entrypoint orleansmount-silo --help", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("the Dockerfile's steps all ran on this machine", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FROM debian:bookworm-slim AS runtime", "FROM debian:trixie-slim AS runtime", "trixie")]
    [InlineData("silo/OrleansMount.Silo/OrleansMount.Silo.csproj", "silo/OrleansMount.Silo/Silo.csproj", "failed")]
    [InlineData("COPY deploy/entrypoint.sh", "COPY deploy/entrypoint", "COPY source deploy/entrypoint is not in the build context")]
    [InlineData("RUN chmod 0755", "RUN chown root /usr/local/bin/orleansmount-entrypoint && chmod 0755", "do not know how to perform 'chown")]
    public async Task A_broken_dockerfile_fails_the_check(string original, string replacement, string expected)
    {
        var text = await File.ReadAllTextAsync(DeployFiles.Dockerfile);
        Assert.Contains(original, text, StringComparison.Ordinal);
        using var temp = new TempDirectory("om-dockerfile-test-");
        var broken = Path.Combine(temp.Path, "Dockerfile");
        await File.WriteAllTextAsync(broken, text.Replace(original, replacement, StringComparison.Ordinal));
        var result = await VerifyAsync(broken);
        Assert.True(result.ExitCode != 0, "the check passed a broken Dockerfile:\n" + result);
        Assert.Contains(expected, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deployment_scripts_pass_shellcheck()
    {
        var result = await ProcessRunner.RunAsync(DeployFiles.RequireTool("shellcheck", "shellcheck"), [DeployFiles.Entrypoint, Script], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static Task<ProcessRunner.Result> VerifyAsync(string dockerfile) =>
        ProcessRunner.RunAsync("bash", [Script], new Dictionary<string, string?> { ["ORLEANSMOUNT_DOCKERFILE"] = dockerfile }, TimeSpan.FromMinutes(3));
}
