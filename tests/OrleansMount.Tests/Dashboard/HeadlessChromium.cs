using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Dashboard;

/// <summary>
/// Debian's <c>chromium</c> (installed by <c>./build.sh test</c>) run headless on one URL: the DOM after
/// the page's scripts ran, or a screenshot. No network beyond the URL: background services, sync,
/// component updates and QUIC are off, and every run has its own profile directory.
/// </summary>
public static class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>Virtual time the page gets before the DOM is taken: enough for a few 2 s polls.</summary>
    private const int VirtualTimeBudgetMs = 5000;

    /// <summary>The serialized DOM once the page's scripts have run for <see cref="VirtualTimeBudgetMs"/> of virtual time.</summary>
    public static async Task<string> DumpDomAsync(string url, string profileDirectory)
    {
        var result = await RunAsync(profileDirectory, "--dump-dom", url);
        Assert.True(result.StandardOutput.Contains("</html>", StringComparison.OrdinalIgnoreCase), $"chromium dumped no document for {url}:\n{result}");
        return result.StandardOutput;
    }

    /// <summary>Saves a PNG of the rendered page (the window size is the image size).</summary>
    public static async Task ScreenshotAsync(string url, string file, string profileDirectory, int width = 1400, int height = 1800)
    {
        var result = await RunAsync(profileDirectory, $"--screenshot={file}", $"--window-size={width},{height}", "--hide-scrollbars", url);
        Assert.True(File.Exists(file), $"chromium wrote no screenshot {file}:\n{result}");
    }

    private static async Task<ProcessRunner.Result> RunAsync(string profileDirectory, params string[] arguments)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: run ./build.sh deps (it installs the Debian package chromium)");
        string[] common =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-dev-shm-usage", "--run-all-compositor-stages-before-draw", $"--virtual-time-budget={VirtualTimeBudgetMs}",
            $"--user-data-dir={profileDirectory}",
        ];
        var result = await ProcessRunner.RunAsync(Executable, [.. common, .. arguments], timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, $"chromium failed:\n{result}");
        return result;
    }
}
