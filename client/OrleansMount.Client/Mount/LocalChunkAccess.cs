namespace OrleansMount.Client.Mount;

/// <summary>
/// Whether this process can read the silo's chunk files itself (the fast path: bytes already on the node never
/// cross the socket, decision 0002). Decided once at mount time by really opening the directory, not by
/// <see cref="Directory.Exists"/>: a directory that exists but cannot be listed, traversed or read (another
/// user's cache, a container that does not mount it) must not be taken for a usable one.
/// </summary>
/// <param name="Directory">The silo's <c>chunks/</c> directory as this process would open it.</param>
/// <param name="Available">True when chunk files can be read from there.</param>
/// <param name="Problem">Why not (null when available).</param>
public sealed record LocalChunkAccess(string Directory, bool Available, string? Problem)
{
    /// <summary>
    /// Probes <c>CACHE/chunks</c>: it must exist and be listable, its first fan-out subdirectory listable
    /// (which needs search permission on <c>chunks/</c>), and a chunk file found there openable for reading.
    /// An empty cache passes on the directories alone.
    /// </summary>
    public static LocalChunkAccess Probe(string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        var chunks = Path.Combine(cacheDirectory, "chunks");
        try
        {
            if (!System.IO.Directory.Exists(chunks))
            {
                return new(chunks, false, System.IO.Directory.Exists(cacheDirectory)
                    ? "the cache directory has no chunks/ directory here"
                    : "the directory does not exist in this process's file system");
            }

            var sub = System.IO.Directory.EnumerateDirectories(chunks).FirstOrDefault();
            if (sub is not null && System.IO.Directory.EnumerateFiles(sub).FirstOrDefault() is { } file)
            {
                using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }

            return new(chunks, true, null);
        }
        catch (FileNotFoundException)
        {
            // The chunk file picked was evicted between listing and opening: the directories were readable.
            return new(chunks, true, null);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return new(chunks, false, "not readable: " + e.Message);
        }
    }
}
