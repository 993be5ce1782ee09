namespace OrleansMount.Native.RocksDb;

/// <summary>
/// The compression that SST files written here use: LZ4, else Snappy, else none. The Debian
/// build links all of them, but another build may not, and RocksDB only says so when a database
/// is opened with the type ("Compression type LZ4 is not linked with the binary"), so the choice
/// is probed once per process by opening a scratch database with each candidate.
/// </summary>
internal static class RocksCompression
{
    internal const int None = 0;
    internal const int Snappy = 1;
    internal const int Lz4 = 4;

    private static readonly Lazy<int> Probed = new(Probe);

    public static int Preferred => Probed.Value;

    private static int Probe()
    {
        foreach (var candidate in (ReadOnlySpan<int>)[Lz4, Snappy])
        {
            var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"om-rocks-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                using var options = RocksNative.rocksdb_options_create();
                RocksNative.rocksdb_options_set_create_if_missing(options, 1);
                RocksNative.rocksdb_options_set_compression(options, candidate);
                var error = IntPtr.Zero;
                using var db = RocksNative.rocksdb_open(options, directory, ref error);
                if (error == IntPtr.Zero)
                {
                    return candidate;
                }

                RocksNative.rocksdb_free(error);
            }
            finally
            {
                TryDeleteDirectory(directory);
            }
        }

        return None;
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A scratch directory in /tmp; leaving it behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
