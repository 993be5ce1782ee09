using Microsoft.Extensions.Logging;
using OrleansMount.Core.Runtime;
using OrleansMount.Native.Fuse;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Compiles the mount's read path once it is up, on a background thread, before readers arrive (decision 0030). A mount
/// runs with tiered compilation off (decision 0008), so every method is compiled fully optimised at its first call;
/// without this, the first epoch on a fresh mount paid for those compilations in its readers' time (train-bench: the
/// epoch after `prefetch` 1.16× the warm epoch's time on a fresh mount, 1.05× after reading 60 files first). What is
/// compiled: the file system's namespace, the FUSE binding and the chunk-file reader.
/// </summary>
internal static class ReadPathCompilation
{
    internal static IEnumerable<Type> Types() =>
        MethodCompilation.TypesIn(typeof(SnapshotFileSystem).Assembly, typeof(SnapshotFileSystem).Namespace!)
            .Concat(MethodCompilation.TypesIn(typeof(FuseSession).Assembly, typeof(FuseSession).Namespace!))
            .Concat([typeof(ChunkHandle), typeof(ChunkChecksum), typeof(ChunkFileHeader), typeof(ChunkFileFormat)]);

    public static void Start(ILogger logger) =>
        MethodCompilation.Start("read-path-compilation", Types, (compiled, failed, seconds) =>
            logger.LogInformation("compiled the read path: {Compiled} methods in {Seconds:0.00} s ({Failed} left to their first call)", compiled, seconds, failed));
}
