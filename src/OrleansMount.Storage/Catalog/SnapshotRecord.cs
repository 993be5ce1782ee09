using System.Text.Json.Serialization;

namespace OrleansMount.Storage.Catalog;

/// <summary>
/// The only mutable record of the catalog: a name pointing at a metarange. Stored as
/// <c>snapshots/NAME.json</c> (format 1), replaced whole, never edited. Everything but
/// <see cref="CreatedAt"/> is a function of the imported objects, so equal imports give equal ids.
/// </summary>
public sealed record SnapshotRecord
{
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")]
    public int Format { get; init; } = CurrentFormat;

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("metarange")]
    public required string Metarange { get; init; }

    /// <summary>The imported location, e.g. <c>s3://bucket/prefix/</c>; entry addresses derive from it.</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    [JsonPropertyName("createdAt")]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("entries")]
    public long Entries { get; init; }

    [JsonPropertyName("bytes")]
    public long Bytes { get; init; }

    [JsonPropertyName("ranges")]
    public int Ranges { get; init; }

    /// <summary>Keys not imported, by reason (see PathRules).</summary>
    [JsonPropertyName("skipped")]
    public Dictionary<string, long> Skipped { get; init; } = [];
}
