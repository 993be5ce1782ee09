namespace OrleansMount.Grains.Protocol;

/// <summary><c>GET /api/v1/info</c>: who the silo is and where its cache lives (a local mount reads chunk files from there directly).</summary>
public sealed record SiloInfo(string SiloId, string Version, string CacheDirectory, int ChunkSize, string Catalog, string? Listen, string? Socket, DateTimeOffset StartedAt);
