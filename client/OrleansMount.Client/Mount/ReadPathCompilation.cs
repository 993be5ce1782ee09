using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
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
        TypesIn(typeof(SnapshotFileSystem).Assembly, typeof(SnapshotFileSystem).Namespace!)
            .Concat(TypesIn(typeof(FuseSession).Assembly, typeof(FuseSession).Namespace!))
            .Concat([typeof(ChunkHandle), typeof(ChunkChecksum), typeof(ChunkFileHeader), typeof(ChunkFileFormat)]);

    /// <summary>Compiles <see cref="Types"/> on a background thread of lowest priority and logs what it did.</summary>
    public static void Start(ILogger logger)
    {
        var thread = new Thread(() =>
        {
            var started = Stopwatch.GetTimestamp();
            var (compiled, failed) = Compile(Types());
            logger.LogInformation("compiled the read path: {Compiled} methods in {Seconds:0.00} s ({Failed} left to their first call)", compiled, Stopwatch.GetElapsedTime(started).TotalSeconds, failed);
        })
        {
            Name = "read-path-compilation",
            IsBackground = true,
            Priority = ThreadPriority.Lowest,
        };
        thread.Start();
    }

    /// <summary>The types of <paramref name="assembly"/> (nested ones included) whose namespace is <paramref name="ns"/> or under it.</summary>
    internal static IEnumerable<Type> TypesIn(Assembly assembly, string ns) =>
        assembly.GetTypes().Where(t => t.Namespace is { } n && (n == ns || n.StartsWith(ns + ".", StringComparison.Ordinal)));

    /// <summary>
    /// Compiles every non-generic method with a body of <paramref name="types"/> (constructors and async state machines
    /// included, when their types are listed); returns how many were compiled and how many could not be (left to their
    /// first call). Generic methods and types are skipped: their instantiations are compiled when first used.
    /// </summary>
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
#pragma warning disable CA1031 // best effort: a method that cannot be prepared is compiled at its first call as before
                catch (Exception)
#pragma warning restore CA1031
                {
                    failed++;
                }
            }
        }

        return (compiled, failed);
    }
}
