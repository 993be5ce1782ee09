using RocksDbSharp;

namespace OrleansMount.Storage.RocksDb;

/// <summary>Puts and deletes applied atomically by <see cref="RocksDatabase.Write"/>. Not thread-safe.</summary>
public sealed class RocksWriteBatch : IDisposable
{
    /// <summary>Operations in the batch.</summary>
    public int Count => Batch.Count();

    internal WriteBatch Batch { get; } = new();

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Batch.Put(key, value);

    public void Delete(ReadOnlySpan<byte> key) => Batch.Delete(key);

    public void Dispose() => Batch.Dispose();
}
