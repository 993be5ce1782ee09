namespace OrleansMount.Storage.RocksDb;

/// <summary>
/// How <see cref="RocksDatabase.Open"/> opens a database. Unset values keep RocksDB's defaults
/// (RocksDB's own default block cache; unlimited open files).
/// </summary>
/// <param name="CreateIfMissing">Create the database directory when it does not exist.</param>
/// <param name="BlockCacheBytes">Capacity of the LRU block cache for this database.</param>
/// <param name="MaxOpenFiles">Table files kept open (-1 = all).</param>
public sealed record RocksDatabaseOptions(bool CreateIfMissing = true, long? BlockCacheBytes = null, int? MaxOpenFiles = null);
