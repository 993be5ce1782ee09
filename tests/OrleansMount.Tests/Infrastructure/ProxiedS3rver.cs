using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// A real s3rver behind a <see cref="LatencyProxyProcess"/> with a small time to first byte, as
/// an xunit collection fixture (<see cref="ProxiedS3rverCollection"/>): what the object store looks
/// like to a client when every request crosses the proxy.
/// </summary>
public sealed class ProxiedS3rver : IAsyncLifetime
{
    /// <summary>The time to first byte every request through this fixture's proxy gets.</summary>
    public const int TimeToFirstByteMs = 5;

    private S3rverServer? _server;
    private LatencyProxyProcess? _proxy;

    public S3rverServer Server => _server ?? throw new InvalidOperationException("the fixture is not started");

    public LatencyProxyProcess Proxy => _proxy ?? throw new InvalidOperationException("the fixture is not started");

    /// <summary>An <see cref="S3ObjectStore"/> that reaches s3rver through the proxy.</summary>
    public S3ObjectStore CreateStore(StoreUri root, Func<S3ObjectStoreOptions, S3ObjectStoreOptions>? adjust = null) =>
        Server.CreateStore(root, o => (adjust ?? (x => x))(o with { ServiceUrl = Proxy.Endpoint }));

    public async Task InitializeAsync()
    {
        _server = await S3rverServer.StartAsync();
        _proxy = await LatencyProxyProcess.StartAsync(_server.Endpoint, ttfbMs: TimeToFirstByteMs);
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.StopAsync();
        }
    }
}
