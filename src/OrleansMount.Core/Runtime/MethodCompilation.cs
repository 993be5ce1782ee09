using System.Reflection;
using System.Runtime.CompilerServices;

namespace OrleansMount.Core.Runtime;

/// <summary>
/// Compiles a process's hot path ahead of its first call (decision 0030): the mount runs with tiered
/// compilation off, so every method is compiled fully optimised at its first call, and a fresh process's first reads
/// otherwise wait for those compilations.
/// </summary>
public static class MethodCompilation
{
    /// <summary>The non-generic, non-interface types of <paramref name="assembly"/> (nested ones included) whose namespace is one of <paramref name="namespaces"/> or under it.</summary>
    public static IEnumerable<Type> TypesIn(Assembly assembly, params string[] namespaces)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetTypes().Where(t => t.Namespace is { } ns && namespaces.Any(n => ns == n || ns.StartsWith(n + ".", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Compiles every non-generic method with a body of <paramref name="types"/> (constructors and async state machines
    /// included, when their types are listed); returns how many were compiled and how many could not be (left to their
    /// first call). Generic methods and types are skipped: their instantiations are compiled when first used.
    /// </summary>
    public static (int Compiled, int Failed) Compile(IEnumerable<Type> types)
    {
        ArgumentNullException.ThrowIfNull(types);
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

    /// <summary>Runs <see cref="Compile"/> on a background thread of lowest priority and reports its result and seconds.</summary>
    public static void Start(string name, Func<IEnumerable<Type>> types, Action<int, int, double> done)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(done);
        var thread = new Thread(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (compiled, failed) = Compile(types());
            done(compiled, failed, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        })
        {
            Name = name,
            IsBackground = true,
            Priority = ThreadPriority.Lowest,
        };
        thread.Start();
    }
}
