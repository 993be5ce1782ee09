using System.Runtime.InteropServices;

namespace OrleansMount.Native.RocksDb;

/// <summary>
/// A RocksDB call failed. The message names what was being done and carries RocksDB's own
/// text, e.g. <c>rocksdb open /var/cache/om/catalog: IO error: lock ... : Resource temporarily unavailable</c>.
/// </summary>
public sealed class RocksDbException : Exception
{
    public RocksDbException()
    {
    }

    public RocksDbException(string message)
        : base(message)
    {
    }

    public RocksDbException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>RocksDB's error text without the operation prefix (empty when not from RocksDB).</summary>
    public string NativeMessage { get; private init; } = string.Empty;

    /// <summary>Frees a non-zero <c>errptr</c> and throws; does nothing when it is zero.</summary>
    internal static void ThrowIfError(IntPtr error, string operation)
    {
        if (error != IntPtr.Zero)
        {
            Throw(error, operation);
        }
    }

    private static void Throw(IntPtr error, string operation)
    {
        string text;
        try
        {
            text = Marshal.PtrToStringUTF8(error) ?? string.Empty;
        }
        finally
        {
            RocksNative.rocksdb_free(error);
        }

        throw new RocksDbException($"{operation}: {text}") { NativeMessage = text };
    }
}
