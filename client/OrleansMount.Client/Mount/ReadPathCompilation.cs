using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansMount.Native.Fuse;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Compiles the mount's read path once it is up, on a background thread, before readers arrive. A mount runs with
/// tiered compilation off (decision 0008), so every method is compiled fully optimised at its first call; without
/// this, the first epoch on a fresh mount paid for those compilations in its readers' time (train-bench: the epoch after
/// `prefetch` 1.16× the warm epoch's time on a fresh mount, 1.05× after reading 60 files first). What is compiled: the
/// methods (and the async state machines') of the file system and its helpers in this namespace, the FUSE binding and
/// the chunk-file reader; generic methods and those without a body are left to their first call.
/// </summary>
internal static class ReadPathCompilation
{
    /// <summary>The assemblies' namespaces whose types are compiled, and single types from elsewhere.</summary>
    internal static IEnumerable<Type> Types() =>
        typeof(SnapshotFileSystem).Assembly.GetTypes().Where(t => t.Namespace == typeof(SnapshotFileSystem).Namespace)
            .Concat(typeof(FuseSession).Assembly.GetTypes().Where(t => t.Namespace == typeof(FuseSession).Namespace))
            .Concat([typeof(ChunkHandle), typeof(ChunkChecksum), typeof(ChunkFileHeader), typeof(ChunkFileFormat)]);

    /// <summary>Starts the compilation on a background thread of lowest priority; logs what it did.</summary>
    public static void Start(ILogger logger)
    {
        var thread = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            var (compiled, failed) = Compile(Types());
            logger.LogInformation("compiled the read path: {Compiled} methods in {Seconds:0.00} s ({Failed} left to their first call)", compiled, clock.Elapsed.TotalSeconds, failed);
        })
        {
            Name = "read-path-compilation",
            IsBackground = true,
            Priority = ThreadPriority.Lowest,
        };
        thread.Start();
    }

    /// <summary>Compiles every non-generic method with a body of <paramref name="types"/> (constructors included); returns how many were compiled and how many could not be.</summary>
    internal static (int Compiled, int Failed) Compile(IEnumerable<Type> types)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        int compiled = 0, failed = 0;
        foreach (var type in types)
        {
            if (type.ContainsGenericParameters || type.IsInterface)
            {
                continue;
            }

            foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null)
                {
                    continue;
                }

                try
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    compiled++;
                }
                catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidProgramException or TypeLoadException or BadImageFormatException)
                {
                    failed++;
                }
            }
        }

        return (compiled, failed);
    }
}
