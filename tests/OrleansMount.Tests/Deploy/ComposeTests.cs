using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>
/// docker-compose.yml as Debian's docker-compose (v1) parses and resolves it without an engine: the services the
/// cluster needs, FUSE privileges and mount propagation on every node, and flags and settings that really exist.
/// </summary>
[IntegrationTest]
public sealed class ComposeTests
{
    private static readonly string[] Nodes = ["silo1", "silo2", "silo3"];

    [Fact]
    public async Task Compose_file_resolves_to_redis_minio_an_import_and_three_fuse_nodes()
    {
        var services = Yaml.Map(await ResolvedAsync(), "services");
        Assert.Equal(["import", "minio", "minio-init", "redis", "silo1", "silo2", "silo3"], services.Keys.Cast<string>().Order(StringComparer.Ordinal));

        // Redis requires a password, and every node has it.
        var redisCommand = Yaml.List(services["redis"], "command").Cast<string>().ToList();
        var redisPassword = redisCommand[redisCommand.IndexOf("--requirepass") + 1];
        Assert.False(string.IsNullOrEmpty(redisPassword));

        var ports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Nodes)
        {
            var node = services[name];
            Assert.Equal("orleansmount:dev", Yaml.Str(node, "image"));
            Assert.Equal("deploy/Dockerfile", Yaml.Str(node, "build.dockerfile"));
            Assert.Contains("/dev/fuse:/dev/fuse", Yaml.List(node, "devices"));
            Assert.Contains("SYS_ADMIN", Yaml.List(node, "cap_add"));
            Assert.Contains("apparmor:unconfined", Yaml.List(node, "security_opt"));
            Assert.Equal("true", Yaml.Str(node, "init"));
            Assert.Equal("service_completed_successfully", Yaml.Str(node, "depends_on.import.condition"));
            Assert.NotNull(Yaml.Get(node, "depends_on.redis"));
            Assert.Contains(Yaml.List(node, "volumes").Cast<string>(), v => v.EndsWith(":/mnt/orleansmount:rshared", StringComparison.Ordinal));
            Assert.Contains(Yaml.List(node, "volumes").Cast<string>(), v => v.Contains(":/var/cache/orleansmount", StringComparison.Ordinal));

            var env = Yaml.StringMap(node, "environment");
            Assert.Equal("redis:6379", env["ORLEANSMOUNT_REDIS"]);
            Assert.Equal(redisPassword, env["ORLEANSMOUNT_REDIS_PASSWORD"]);
            Assert.Equal(name, env["ORLEANSMOUNT_SILO_ID"]);
            Assert.Equal(name, Yaml.Str(node, "hostname"));
            var listenPort = env["ORLEANSMOUNT_LISTEN"].Split(':')[^1];
            Assert.Equal($"http://{name}:{listenPort}", env["ORLEANSMOUNT_ADVERTISE"]);

            // The dashboard (the silo's HTTP address) is published, on loopback only: the HTTP port has no TLS.
            var published = Assert.Single(Yaml.List(node, "ports").Cast<string>());
            Assert.StartsWith("127.0.0.1:", published, StringComparison.Ordinal);
            Assert.EndsWith($":{listenPort}/tcp", published, StringComparison.Ordinal);
            Assert.True(ports.Add(published.Split(':')[1]), $"{name} publishes a host port another node already uses");
        }

        Assert.Equal("service_healthy", Yaml.Str(services["minio-init"], "depends_on.minio.condition"));
        Assert.Equal("service_completed_successfully", Yaml.Str(services["import"], "depends_on.minio-init.condition"));
        Assert.StartsWith("minio/minio:RELEASE.", Yaml.Str(services["minio"], "image"), StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, "deploy", "compose", "sample-dataset")), "the sample dataset minio-init uploads is missing");
    }

    [Fact]
    public async Task The_import_job_creates_the_snapshot_the_nodes_mount_with_the_catalog_they_read()
    {
        var services = Yaml.Map(await ResolvedAsync(), "services");
        var import = services["import"];
        var command = Yaml.List(import, "command").Cast<string>().ToList();
        Assert.Equal(["orleansmount", "import"], command.Take(2));
        Assert.StartsWith("s3://datasets/", command[2], StringComparison.Ordinal);
        var snapshot = command[command.IndexOf("--snapshot") + 1];
        await DeployFiles.AssertRealOptionsAsync(string.Join(' ', command), "import", "the compose import command");

        var importEnv = Yaml.StringMap(import, "environment");
        foreach (var name in Nodes)
        {
            var env = Yaml.StringMap(services[name], "environment");
            Assert.Equal(snapshot, env["ORLEANSMOUNT_SNAPSHOT"]);
            Assert.Equal(importEnv["ORLEANSMOUNT_CATALOG"], env["ORLEANSMOUNT_CATALOG"]);
            Assert.Equal("http://minio:9000", env["AWS_ENDPOINT_URL_S3"]);
            Assert.Equal(Yaml.Str(services["minio"], "environment.MINIO_ROOT_USER"), env["AWS_ACCESS_KEY_ID"]);
            Assert.Equal(Yaml.Str(services["minio"], "environment.MINIO_ROOT_PASSWORD"), env["AWS_SECRET_ACCESS_KEY"]);
            Assert.Equal(["node"], Yaml.List(services[name], "command"));
            Settings.AssertRead(env.Keys, $"docker-compose.yml {name}");
        }
    }

    [Fact]
    public async Task Docker_compose_config_rejects_a_malformed_file()
    {
        using var temp = new TempDirectory("om-compose-");
        var broken = Path.Combine(temp.Path, "docker-compose.yml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(DeployFiles.Compose)).Replace("  cap_add:\n    - SYS_ADMIN", "  cap_add: SYS_ADMIN", StringComparison.Ordinal));
        var result = await RunConfigAsync(broken);
        Assert.True(result.ExitCode != 0, "docker-compose config accepted cap_add given as a string:\n" + result);
        Assert.Contains("cap_add", result.StandardError, StringComparison.Ordinal);
    }

    private static async Task<IDictionary<object, object>> ResolvedAsync()
    {
        var result = await RunConfigAsync(DeployFiles.Compose);
        Assert.True(result.ExitCode == 0, "docker-compose config failed:\n" + result);
        return Assert.Single(Yaml.LoadAll(result.StandardOutput));
    }

    private static Task<ProcessRunner.Result> RunConfigAsync(string file) =>
        ProcessRunner.RunAsync(DeployFiles.RequireTool("docker-compose", "docker-compose"), ["-f", file, "config"], new Dictionary<string, string?> { ["DOCKER_HOST"] = null }, TimeSpan.FromSeconds(60));
}
