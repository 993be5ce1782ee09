namespace OrleansMount.Tests.Infrastructure;

/// <summary>Where the repository and its built launchers are, found from the test assembly's location.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The built CLI (<c>orleansmount</c>) of the same configuration as the tests, else the newest build.</summary>
    public static string Cli => Executable("client/OrleansMount.Client", "orleansmount");

    public static string Silo => Executable("silo/OrleansMount.Silo", "orleansmount-silo");

    /// <summary>The latency-injecting object-store proxy (tests/tools/OrleansMount.LatencyProxy).</summary>
    public static string LatencyProxy => Executable("tests/tools/OrleansMount.LatencyProxy", "orleansmount-latency-proxy");

    private static string Executable(string project, string name)
    {
        var candidates = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(Root, project, "bin", c, "net10.0", name))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToList();
        return candidates.FirstOrDefault()
            ?? throw new InvalidOperationException($"{name} is not built: run ./build.sh (or dotnet build OrleansMount.sln) first");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansMount.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (OrleansMount.sln) above " + AppContext.BaseDirectory);
    }
}
