using System.Collections.Concurrent;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Silo;

/// <summary>
/// Everything one silo holds: its chunk store, metadata store, activations and counters. The
/// HTTP endpoints only translate to and from this.
/// </summary>
public sealed class SiloNode : IDisposable
{
    private readonly ConcurrentDictionary<string, SnapshotView> _views = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggers;

    public SiloNode(SiloOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _loggers = loggers;
        Directory.CreateDirectory(options.CacheDirectory);
        SiloId = options.SiloId ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
        Catalog = SnapshotCatalog.Open(StoreUri.Parse(options.Catalog));
        Chunks = new ChunkStore(new ChunkStoreOptions { Directory = options.CacheDirectory, CapacityBytes = options.CacheSizeBytes }, loggers.CreateLogger<ChunkStore>(), time);
        Metadata = new MetadataStore(Path.Combine(options.CacheDirectory, "metadata"), Catalog, loggers.CreateLogger<MetadataStore>());
        Stores = new ObjectStoreProvider();
        var grainLogger = loggers.CreateLogger<ChunkGrain>();
        ChunkGrains = new ActivationTable<ChunkId, ChunkGrain>(id => new ChunkGrain(id, Chunks, Stores, Counters, grainLogger), time, TimeSpan.FromMinutes(2));
        StartedAt = time.GetUtcNow();
    }

    public SiloOptions Options { get; }

    public string SiloId { get; }

    public DateTimeOffset StartedAt { get; }

    public SnapshotCatalog Catalog { get; }

    public ChunkStore Chunks { get; }

    public MetadataStore Metadata { get; }

    public ObjectStoreProvider Stores { get; }

    public NodeCounters Counters { get; } = new();

    public ActivationTable<ChunkId, ChunkGrain> ChunkGrains { get; }

    public ILogger CreateLogger(string name) => _loggers.CreateLogger(name);

    /// <summary>
    /// The view of a snapshot. With <paramref name="expectedId"/> (what a mount pinned), a name that
    /// now points at another import is an error rather than a silent switch of content.
    /// </summary>
    public async Task<SnapshotView> GetViewAsync(string name, string? expectedId, CancellationToken cancellationToken)
    {
        if (expectedId is not null && _views.TryGetValue(expectedId, out var cached))
        {
            return cached;
        }

        var view = await Metadata.OpenSnapshotAsync(name, cancellationToken).ConfigureAwait(false);
        _views[view.Record.Id] = view;
        if (expectedId is not null && view.Record.Id != expectedId)
        {
            throw new SnapshotReplacedException(name, expectedId, view.Record.Id);
        }

        return view;
    }

    public void Dispose()
    {
        Metadata.Dispose();
        Chunks.Dispose();
        Stores.Dispose();
        Catalog.Dispose();
    }
}
