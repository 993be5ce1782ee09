using System.Runtime.InteropServices;
using RocksDbSharp;

namespace OrleansMount.Storage.RocksDb;

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

    /// <summary>The package's exception for <paramref name="operation"/>, with RocksDB's text.</summary>
    internal static RocksDbException From(RocksDbSharpException error, string operation) =>
        new($"{operation}: {error.Message}", error) { NativeMessage = error.Message };

    /// <summary>Runs <paramref name="action"/>, turning the package's exception into this one.</summary>
    internal static void Wrap(Action action, string operation)
    {
        try
        {
            action();
        }
        catch (RocksDbSharpException e)
        {
            throw From(e, operation);
        }
    }

    /// <inheritdoc cref="Wrap(Action, string)"/>
    internal static T Wrap<T>(Func<T> action, string operation)
    {
        try
        {
            return action();
        }
        catch (RocksDbSharpException e)
        {
            throw From(e, operation);
        }
    }

    /// <summary>Frees a non-zero <c>errptr</c> from a direct native call and throws; does nothing when it is zero.</summary>
    internal static void ThrowIfError(IntPtr error, string operation)
    {
        if (error == IntPtr.Zero)
        {
            return;
        }

        string text;
        try
        {
            text = Marshal.PtrToStringUTF8(error) ?? string.Empty;
        }
        finally
        {
            RocksDbSharp.Native.Instance.rocksdb_free(error);
        }

        throw new RocksDbException($"{operation}: {text}") { NativeMessage = text };
    }
}
