namespace OrleansMount.Grains.Protocol;

/// <summary>A warning or error a silo logged.</summary>
/// <param name="Kind"><c>fallback</c> (an owner did not deliver), <c>checksum</c> (a CRC32C mismatch or corrupt chunk file), <c>fill</c>, <c>auth</c>, <c>prefetch</c>, or else <c>warning</c> / <c>error</c>.</param>
/// <param name="Level">Warning, Error or Fatal.</param>
/// <param name="Source">The component that logged it (class name).</param>
public sealed record RecentError(DateTimeOffset At, string Kind, string Level, string Source, string Message);
