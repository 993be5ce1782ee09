using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>Paths of the deployment files, the tools that check them, and the real flags of the built programs.</summary>
internal static partial class DeployFiles
{
    private static readonly ConcurrentDictionary<string, Task<string>> HelpTexts = new(StringComparer.Ordinal);

    public static string Compose => Path.Combine(RepoPaths.Root, "docker-compose.yml");

    public static string Dockerfile => Path.Combine(RepoPaths.Root, "deploy", "Dockerfile");

    public static string Entrypoint => Path.Combine(RepoPaths.Root, "deploy", "entrypoint.sh");

    public static string Kubernetes => Path.Combine(RepoPaths.Root, "deploy", "k8s");

    public static string Systemd => Path.Combine(RepoPaths.Root, "deploy", "systemd");

    /// <summary>The absolute path of <paramref name="tool"/>; fails (never skips) naming the package when it is missing.</summary>
    public static string RequireTool(string tool, string package)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new Xunit.Sdk.XunitException($"{tool} is not installed: run ./build.sh deps (Debian package {package})");
    }

    /// <summary>The --help text of the built CLI command (<c>mount</c>, <c>import</c>, ...) or, for "silo", of orleansmount-silo.</summary>
    public static Task<string> HelpAsync(string command) => HelpTexts.GetOrAdd(command, async c =>
    {
        var result = c == "silo"
            ? await ProcessRunner.RunAsync(RepoPaths.Silo, ["--help"], timeout: TimeSpan.FromSeconds(60))
            : await ProcessRunner.RunAsync(RepoPaths.Cli, [c, "--help"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput;
    });

    /// <summary>Every long option (--name) written in <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> LongOptions(string text) =>
        LongOptionPattern().Matches(text).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Fails unless every long option in <paramref name="text"/> is one <paramref name="command"/>'s --help lists.</summary>
    public static async Task AssertRealOptionsAsync(string text, string command, string where)
    {
        var help = await HelpAsync(command);
        var options = LongOptions(text);
        Assert.NotEmpty(options);
        foreach (var option in options)
        {
            Assert.True(Regex.IsMatch(help, $@"(^|[\s,]){Regex.Escape(option)}([\s,=<]|$)", RegexOptions.Multiline), $"{where}: {option} is not an option of {(command == "silo" ? "orleansmount-silo" : "orleansmount " + command)}:\n{help}");
        }
    }

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]*")]
    private static partial Regex LongOptionPattern();
}
