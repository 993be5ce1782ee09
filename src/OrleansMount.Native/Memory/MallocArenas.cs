using System.Runtime.InteropServices;

namespace OrleansMount.Native.Memory;

/// <summary>
/// glibc's malloc arenas. glibc gives threads that contend on malloc arenas of their own, up to 8 per core, and
/// memory freed into one arena is not reused by the others: a process whose native allocations come from many
/// threads (RocksDB's reads and ingests run on thread-pool threads) holds freed memory in each. Capping them is
/// what <c>MALLOC_ARENA_MAX</c> does for the whole process; <see cref="Limit"/> does it from inside, for the arenas
/// created after the call.
/// </summary>
public static partial class MallocArenas
{
    /// <summary>The environment variable glibc reads at start; when it is set, <see cref="Limit"/> leaves it in charge.</summary>
    public const string Variable = "MALLOC_ARENA_MAX";

    // mallopt's parameter number for the arena cap (malloc.h, M_ARENA_MAX).
    private const int ArenaMax = -8;

    /// <summary>
    /// Caps the number of malloc arenas at <paramref name="arenas"/> unless <see cref="Variable"/> is set. False when
    /// it did nothing: the variable decides, or the C library is not glibc.
    /// </summary>
    public static bool Limit(int arenas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arenas, 1);
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            return false;
        }

        try
        {
            return Mallopt(ArenaMax, arenas) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no mallopt arenas)
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Gives the free memory of every arena back to the kernel (<c>malloc_trim(0)</c>: the free top of each heap, and
    /// the whole free pages inside it). glibc returns only a free top by itself, so memory freed below a live block
    /// (RocksDB's iterators and ingests, start-up work) stays resident until this is called. False when it released
    /// nothing or the C library is not glibc.
    /// </summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return MallocTrim(0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);

    [LibraryImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
