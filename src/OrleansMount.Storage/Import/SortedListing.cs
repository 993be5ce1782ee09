using System.Runtime.CompilerServices;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Storage.Import;

/// <summary>
/// Puts a listing into UTF-8 byte order with bounded memory: runs of at most <c>runSize</c>
/// objects are sorted in memory, spilled to files in the work directory when there is more than
/// one, and merged. Real S3 already lists in this order (one run, a no-op sort); S3 look-alikes
/// such as s3rver do not, and a snapshot's ranges must be sorted whatever the server did.
/// </summary>
internal static class SortedListing
{
    public static async IAsyncEnumerable<ObjectInfo> SortAsync(IAsyncEnumerable<ObjectInfo> source, string workDirectory, int runSize, Action<ObjectInfo>? onListed = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var run = new List<ObjectInfo>();
        var files = new List<string>();
        await foreach (var info in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            run.Add(info);
            onListed?.Invoke(info);
            if (run.Count >= runSize)
            {
                files.Add(Spill(run, workDirectory, files.Count));
            }
        }

        if (files.Count == 0)
        {
            run.Sort((a, b) => KeyOrder.CompareKeys(a.Key, b.Key));
            foreach (var info in run)
            {
                yield return info;
            }

            yield break;
        }

        if (run.Count > 0)
        {
            files.Add(Spill(run, workDirectory, files.Count));
        }

        var readers = files.Select(f => new BinaryReader(File.OpenRead(f))).ToList();
        try
        {
            var queue = new PriorityQueue<(ObjectInfo Info, int Reader), string>(KeyOrder.Instance);
            for (var i = 0; i < readers.Count; i++)
            {
                if (Next(readers[i]) is { } first)
                {
                    queue.Enqueue((first, i), first.Key);
                }
            }

            while (queue.TryDequeue(out var item, out _))
            {
                yield return item.Info;
                if (Next(readers[item.Reader]) is { } next)
                {
                    queue.Enqueue((next, item.Reader), next.Key);
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }

            foreach (var file in files)
            {
                File.Delete(file);
            }
        }
    }

    private static string Spill(List<ObjectInfo> run, string workDirectory, int index)
    {
        run.Sort((a, b) => KeyOrder.CompareKeys(a.Key, b.Key));
        var path = Path.Combine(workDirectory, $"listing-run-{index:0000}.bin");
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            foreach (var info in run)
            {
                writer.Write(true);
                writer.Write(info.Key);
                writer.Write(info.Size);
                writer.Write(info.ETag);
                writer.Write(info.LastModified.UtcTicks);
            }

            writer.Write(false);
        }

        run.Clear();
        return path;
    }

    private static ObjectInfo? Next(BinaryReader reader) =>
        reader.ReadBoolean()
            ? new ObjectInfo(reader.ReadString(), reader.ReadInt64(), reader.ReadString(), new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero))
            : null;
}
