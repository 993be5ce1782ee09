namespace OrleansMount.Silo;

/// <summary>A silo's settings, validated before anything starts.</summary>
public sealed record SiloOptions
{
    public required string CacheDirectory { get; init; }

    public required long CacheSizeBytes { get; init; }

    public required string Catalog { get; init; }

    public string? Listen { get; init; }

    public required string SocketPath { get; init; }

    public required int ChunkSize { get; init; }

    public string LogLevel { get; init; } = "Information";

    public string? SiloId { get; init; }

    /// <summary>Log events as one JSON object a line (<c>--log-format json</c>) instead of text lines.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Redis HOST:PORT holding the membership table; null runs single-node.</summary>
    public string? Redis { get; init; }

    /// <summary>The cluster name: silos sharing a Redis and a name form one cluster.</summary>
    public string Cluster { get; init; } = "default";

    /// <summary>Where peers reach this silo (http://HOST:PORT); null when there is no TCP listener.</summary>
    public Uri? Advertise { get; init; }

    /// <summary>How long an owner silo may take to start answering a peer call before it counts as not answering.</summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an owner that did not answer is routed around (its keys go to the object store).</summary>
    public TimeSpan SuspectDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Chunk fills all prefetch jobs together may have in flight on this silo (as an owner).</summary>
    public int PrefetchSlots { get; init; } = 8;

    /// <summary>Memory for readahead of all the node's mounts: chunks in flight at most this ÷ chunk size.</summary>
    public long ReadaheadMemoryBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The cluster secret every caller must sign with (<c>--secret-file</c> or the environment); null: no authentication.</summary>
    public OrleansMount.Core.Security.ClusterSecret? Secret { get; init; }

    /// <summary>Retries, per-attempt timeout and deadline of every object-store and catalog request.</summary>
    public OrleansMount.Storage.ObjectStores.ObjectStoreRetryPolicy ObjectStoreRetry { get; init; } = new();
}
