using System.Text;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>
/// The production path: configuration from the standard AWS environment variables. These facts
/// change process-wide variables (restored afterwards); they run in the s3rver collection, and no
/// other test reads AWS variables (every other S3 test passes explicit options).
/// </summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class S3ObjectStoreEnvironmentTests
{
    private static readonly string[] Variables =
    [
        "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];

    private readonly S3rverServer _server;

    public S3ObjectStoreEnvironmentTests(S3rverServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task AnEndpointAndCredentialsFromTheEnvironment_ReachTheServerWithPathStyle()
    {
        var bucket = await _server.CreateUniqueBucketAsync();
        _server.SeedObject(bucket, "from/env.txt", Encoding.UTF8.GetBytes("hi"));

        await WithEnvironmentAsync(
            new()
            {
                ["AWS_ENDPOINT_URL_S3"] = _server.Endpoint,
                ["AWS_REGION"] = S3rverServer.Region,
                ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKey,
                ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretKey,
            },
            async () =>
            {
                using var store = ObjectStoreFactory.Open(StoreUri.Parse($"s3://{bucket}"));
                var keys = new List<string>();
                await foreach (var info in store.ListAsync(""))
                {
                    keys.Add(info.Key);
                }

                Assert.Equal(["from/env.txt"], keys);
                Assert.Equal(_server.Endpoint, ((S3ObjectStore)store).Endpoint);
            });
    }

    [Fact]
    public async Task NoCredentialsAnywhere_SaysWhichVariablesToSet()
    {
        var nowhere = Path.Combine(Path.GetTempPath(), $"orleansmount-no-aws-{Guid.NewGuid():N}");
        await WithEnvironmentAsync(
            new()
            {
                ["AWS_ENDPOINT_URL"] = _server.Endpoint,
                ["AWS_SHARED_CREDENTIALS_FILE"] = nowhere,
                ["AWS_CONFIG_FILE"] = nowhere,
                ["AWS_EC2_METADATA_DISABLED"] = "true",
            },
            async () =>
            {
                using var store = ObjectStoreFactory.Open(StoreUri.S3("any-bucket"));

                var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.HeadAsync("k"));

                Assert.Equal("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure a profile", error.Message);
            });
    }

    private static async Task WithEnvironmentAsync(Dictionary<string, string> values, Func<Task> body)
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var variable in Variables)
            {
                Environment.SetEnvironmentVariable(variable, values.GetValueOrDefault(variable));
            }

            await body();
        }
        finally
        {
            foreach (var (variable, value) in saved)
            {
                Environment.SetEnvironmentVariable(variable, value);
            }
        }
    }
}
