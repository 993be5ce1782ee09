namespace OrleansMount.Storage.RocksDb;

/// <summary>
/// Which native librocksdb this process runs. The <c>RocksDB</c> package loads the library it
/// bundles (<c>runtimes/linux-x64/native/librocksdb.so</c>, RocksDB 11.12) but falls back
/// silently to a system <c>librocksdb.so</c> when that folder is missing from a deployment, so
/// the silo logs <see cref="LoadedPath"/> at start.
/// </summary>
public static class RocksNativeLibrary
{
    /// <summary>Loads the native library (the package loads it on first use).</summary>
    public static void EnsureLoaded() => _ = RocksDbSharp.Native.Instance;

    /// <summary>
    /// The file the process has mapped as librocksdb, read from <c>/proc/self/maps</c> after
    /// loading it (what the kernel mapped, not what the loader meant to load); the package's own
    /// idea of it when the maps cannot be read.
    /// </summary>
    public static string LoadedPath
    {
        get
        {
            EnsureLoaded();
            try
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    var slash = line.IndexOf('/', StringComparison.Ordinal);
                    if (slash >= 0 && line.AsSpan(slash).Contains("librocksdb", StringComparison.Ordinal))
                    {
                        return line[slash..];
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            return NativeImport.Auto.LoadedPath ?? "unknown";
        }
    }
}
