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
}
