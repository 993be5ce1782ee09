using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>Which environment settings something really reads, so a misspelt name in a deployment file fails.</summary>
internal static class Settings
{
    /// <summary>Reserved for silo authentication (a later issue): in the Secret and env file, read by nothing yet.</summary>
    public const string ClusterSecret = "ORLEANSMOUNT_CLUSTER_SECRET";

    /// <summary>The Redis password the silo reads (and the Kubernetes Redis is started with).</summary>
    public const string RedisPassword = "ORLEANSMOUNT_REDIS_PASSWORD";

    /// <summary>What AWSSDK.S3 reads from the environment by itself (../shared/PLATFORM.md).</summary>
    private static readonly HashSet<string> Aws = new(StringComparer.Ordinal)
    {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL",
    };

    private static readonly Lazy<string> ProgramSources = new(() => string.Concat(
        new[] { "src", "silo", "client", "grains" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal))
            .Select(File.ReadAllText)));

    /// <summary>
    /// Fails unless every name is read by the entrypoint (or <paramref name="otherReaders"/>, e.g. unit files), by
    /// the programs themselves, or by the AWS SDK; <see cref="ClusterSecret"/> is allowed as reserved.
    /// </summary>
    public static void AssertRead(IEnumerable<string> names, string where, string otherReaders = "")
    {
        var entrypoint = File.ReadAllText(DeployFiles.Entrypoint);
        foreach (var name in names)
        {
            var read = Aws.Contains(name) || name == ClusterSecret
                || (name.StartsWith("ORLEANSMOUNT_", StringComparison.Ordinal)
                    && (entrypoint.Contains(name, StringComparison.Ordinal)
                        || otherReaders.Contains("$" + name, StringComparison.Ordinal)
                        || ProgramSources.Value.Contains('"' + name + '"', StringComparison.Ordinal)));
            Assert.True(read, $"{where}: setting {name} is read by neither deploy/entrypoint.sh, the programs nor the AWS SDK (misspelt?)");
        }
    }
}
