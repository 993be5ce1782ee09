using System.Text.Json;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Cli;

/// <summary>The real <c>orleansmount</c> binary against a real s3rver: import, snapshots, ls, and every bad input.</summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class CliImportTests(S3rverServer s3)
{
    private Dictionary<string, string?> Environment(bool credentials = true) => new()
    {
        ["AWS_ENDPOINT_URL"] = s3.Endpoint,
        ["AWS_ENDPOINT_URL_S3"] = null,
        ["AWS_REGION"] = S3rverServer.Region,
        ["AWS_ACCESS_KEY_ID"] = credentials ? S3rverServer.AccessKey : null,
        ["AWS_SECRET_ACCESS_KEY"] = credentials ? S3rverServer.SecretKey : null,
        ["AWS_PROFILE"] = null,
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent",
        ["AWS_CONFIG_FILE"] = "/nonexistent",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["ORLEANSMOUNT_CATALOG"] = null,
    };

    private Task<ProcessRunner.Result> Cli(params string[] args) => ProcessRunner.RunAsync(RepoPaths.Cli, args, Environment());

    [Fact]
    public async Task Import_then_snapshots_and_ls_show_the_tree()
    {
        var bucket = await s3.CreateUniqueBucketAsync("cli");
        s3.SeedObject(bucket, "ds/train/cat 1.jpg", new byte[1234]);
        s3.SeedObject(bucket, "ds/train/dög.jpg", new byte[10]);
        s3.SeedObject(bucket, "ds/readme.txt", "hello"u8);
        s3.SeedObject(bucket, "ds/empty", []);
        s3.SeedObject(bucket, "ds/marker/", []);

        var import = await Cli("import", $"s3://{bucket}/ds", "--snapshot", "v1");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("entries   4", import.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("bytes     1249", import.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1 DirectoryMarker", import.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ds/marker/", import.StandardError, StringComparison.Ordinal);

        var catalog = $"s3://{bucket}/.orleansmount/";
        var snapshots = await Cli("snapshots", "--catalog", catalog);
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        Assert.Contains("v1", snapshots.StandardOutput, StringComparison.Ordinal);

        var ls = await Cli("ls", "v1", "--catalog", catalog);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        var lines = ls.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^- +0 \d{4}-\d\d-\d\d \d\d:\d\d empty$", lines[0]);
        Assert.Matches(@"^- +5 .* readme.txt$", lines[1]);
        Assert.Matches(@"^d +0 .* train/$", lines[2]);

        var json = await Cli("ls", "v1", "/train/", "--catalog", catalog, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.StandardOutput);
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(["cat 1.jpg", "dög.jpg"], items.Select(i => i.GetProperty("name").GetString()));
        Assert.All(items, i => Assert.Equal("file", i.GetProperty("type").GetString()));
        Assert.Equal(1234, items[0].GetProperty("size").GetInt64());
        Assert.True(DateTimeOffset.TryParse(items[0].GetProperty("mtime").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Bad_inputs_fail_with_clear_messages()
    {
        var bucket = await s3.CreateUniqueBucketAsync("cli");
        s3.SeedObject(bucket, "ds/x", "x"u8);
        var catalog = $"s3://{bucket}/.orleansmount/";
        Assert.Equal(0, (await Cli("import", $"s3://{bucket}/ds", "--snapshot", "v1")).ExitCode);

        await Expect(Cli("import", "s4://nope", "--snapshot", "a"), "malformed URI");
        await Expect(Cli("import", "s3://Bad_Bucket!/x", "--snapshot", "a"), "not a valid bucket name");
        await Expect(Cli("import", "s3://no-such-bucket-xyz/ds", "--snapshot", "a"), "no-such-bucket-xyz");
        await Expect(Cli("import", $"s3://{bucket}/empty-prefix", "--snapshot", "a"), "holds no objects");
        await Expect(Cli("import", $"s3://{bucket}/ds", "--snapshot", "v1"), "--replace");
        await Expect(Cli("import", $"s3://{bucket}/ds", "--snapshot", "bad name"), "invalid snapshot name");
        await Expect(Cli("ls", "nope", "--catalog", catalog), "unknown snapshot 'nope'");
        await Expect(Cli("ls", "v1", "no/such", "--catalog", catalog), "no such file or directory");
        await Expect(Cli("ls", "v1"), "--catalog");
        var noCredentials = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "c"], Environment(credentials: false));
        Assert.NotEqual(0, noCredentials.ExitCode);
        Assert.Contains("credentials", noCredentials.StandardError, StringComparison.OrdinalIgnoreCase);

        var replaced = await Cli("import", $"s3://{bucket}/ds", "--snapshot", "v1", "--replace");
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { "import", "snapshots", "ls" })
        {
            var help = await Cli(command, "--help");
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("Usage:", help.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("--catalog", help.StandardOutput, StringComparison.Ordinal);
        }
    }

    private static async Task Expect(Task<ProcessRunner.Result> run, string message)
    {
        var result = await run;
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal); // no stack traces for user errors
    }
}
