using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// An object store over a local directory (<c>file:///dir</c>): a key is a '/'-separated path
/// relative to <see cref="StoreUri.Bucket"/>. The ETag is derived from the file's size and
/// modification time, so rewriting a file in place is detected like an S3 overwrite. Writes go
/// to a temporary file in the target directory that is then renamed into place.
/// </summary>
public sealed class FileObjectStore : IObjectStore
{
    /// <summary>Files whose name starts with this are in-flight writes and never listed.</summary>
    public const string TempFilePrefix = ".orleansmount-put-";

    private readonly string _rootDirectory;

    public FileObjectStore(StoreUri root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.IsS3)
        {
            throw new ArgumentException($"{root} is not a file:// location", nameof(root));
        }

        Root = root;
        _rootDirectory = root.Bucket;
    }

    public StoreUri Root { get; }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!Directory.Exists(_rootDirectory))
        {
            throw new ObjectStoreException($"directory {_rootDirectory} does not exist: check the file:// URI or create the directory");
        }

        // Walk the directory that holds the prefix's last segment, keeping only names that start
        // with that segment; below it, everything matches.
        var lastSlash = prefix.LastIndexOf('/');
        var startKeyDir = lastSlash < 0 ? "" : prefix[..(lastSlash + 1)];
        var namePrefix = prefix[(lastSlash + 1)..];
        if (startKeyDir.Length > 0 && !IsValidKey(startKeyDir.TrimEnd('/')))
        {
            yield break;
        }

        // A stack of sorted directory listings gives a depth-first walk in byte order of the full
        // keys: children are ordered by name, with '/' appended to directory names.
        var stack = new Stack<(string KeyDir, Queue<FileSystemInfo> Children)>();
        var first = ReadSortedChildren(ToPath(startKeyDir), namePrefix);
        if (first is null)
        {
            yield break;
        }

        stack.Push((startKeyDir, first));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (keyDir, children) = stack.Peek();
            if (!children.TryDequeue(out var child))
            {
                stack.Pop();
                continue;
            }

            if (child is DirectoryInfo dir)
            {
                var grandChildren = ReadSortedChildren(dir.FullName, "");
                if (grandChildren is not null)
                {
                    stack.Push((keyDir + dir.Name + "/", grandChildren));
                }
            }
            else if (child is FileInfo file)
            {
                // The enumeration's own stat of the file; a file deleted since is skipped.
                long length;
                DateTime lastWriteUtc;
                try
                {
                    length = file.Length;
                    lastWriteUtc = file.LastWriteTimeUtc;
                }
                catch (FileNotFoundException)
                {
                    continue;
                }

                yield return ToInfo(keyDir + file.Name, length, lastWriteUtc);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var file = new FileInfo(ToPath(key));
        return Task.FromResult(file.Exists ? ToInfo(key, file.Length, file.LastWriteTimeUtc) : null);
    }

    public Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default) =>
        ReadAsync(key, offset, buffer, ifMatchETag, null, cancellationToken);

    public async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, Action<int>? progress, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(ToPath(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(Root.AddressOf(key));
        }
        catch (UnauthorizedAccessException e)
        {
            // Opening a directory lands here too: a directory is not an object.
            throw Directory.Exists(ToPath(key))
                ? new ObjectNotFoundException(Root.AddressOf(key))
                : new ObjectStoreException($"access denied to {Root.AddressOf(key)}: {e.Message}", e);
        }

        using (handle)
        {
            // The ETag of the file this handle has open, so the check and the bytes agree even
            // when the file is replaced concurrently.
            if (ifMatchETag is not null)
            {
                var actual = ETagOf(RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle));
                if (!string.Equals(actual, ifMatchETag, StringComparison.Ordinal))
                {
                    throw new ObjectChangedException(Root.AddressOf(key), ifMatchETag, actual);
                }
            }

            progress?.Invoke(0);
            var total = 0;
            while (total < buffer.Length)
            {
                var n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                total += n;
                progress?.Invoke(total);
            }

            return total;
        }
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        await WriteAtomicallyAsync(key, async stream => await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    public async Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(localPath);
        var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (source.ConfigureAwait(false))
        {
            await WriteAtomicallyAsync(key, stream => source.CopyToAsync(stream, 1 << 20, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>The ETag of a file of <paramref name="size"/> bytes last written at <paramref name="lastWriteUtc"/>.</summary>
    public static string ETagOf(long size, DateTime lastWriteUtc) =>
        string.Create(CultureInfo.InvariantCulture, $"{lastWriteUtc.Ticks:x}-{size:x}");

    private async Task WriteAtomicallyAsync(string key, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_rootDirectory))
        {
            throw new ObjectStoreException($"directory {_rootDirectory} does not exist: check the file:// URI or create the directory");
        }

        var path = ToPath(key);
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (IOException e)
        {
            throw new ObjectStoreException($"cannot create the directory for {Root.AddressOf(key)}: {e.Message}", e);
        }

        var temp = Path.Combine(directory, TempFilePrefix + Guid.NewGuid().ToString("N"));
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            // File systems stamp mtime from a coarse clock (a few ms), so two writes of the same
            // size in quick succession could share an ETag. Stamp a fine-grained time instead,
            // strictly after the replaced file's.
            var stamp = DateTime.UtcNow;
            var previous = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            if (stamp <= previous)
            {
                stamp = previous.AddTicks(1);
            }

            File.SetLastWriteTimeUtc(temp, stamp);
            File.Move(temp, path, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ObjectStoreException($"access denied writing {Root.AddressOf(key)}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private ObjectInfo ToInfo(string key, long size, DateTime lastWriteUtc) =>
        new(key, size, ETagOf(size, lastWriteUtc), new DateTimeOffset(lastWriteUtc, TimeSpan.Zero));

    private string ToPath(string key) => key.Length == 0 ? _rootDirectory : Path.Join(_rootDirectory, key);

    private static Queue<FileSystemInfo>? ReadSortedChildren(string directory, string namePrefix)
    {
        List<(string SortName, FileSystemInfo Info)> children;
        try
        {
            children = new DirectoryInfo(directory)
                .EnumerateFileSystemInfos()
                .Where(i => i.Name.StartsWith(namePrefix, StringComparison.Ordinal) && !i.Name.StartsWith(TempFilePrefix, StringComparison.Ordinal))
                .Where(i => i is FileInfo || !i.Attributes.HasFlag(FileAttributes.ReparsePoint)) // no symlinked directories: no cycles
                .Select(i => (i is DirectoryInfo ? i.Name + "/" : i.Name, i))
                .ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        children.Sort((a, b) => KeyOrder.CompareKeys(a.SortName, b.SortName));
        return new Queue<FileSystemInfo>(children.Select(c => c.Info));
    }

    private static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsValidKey(key))
        {
            throw new ArgumentException($"'{key}' is not a valid key for a file store: it needs non-empty '/'-separated segments other than '.' and '..'", nameof(key));
        }
    }

    private static bool IsValidKey(string key) =>
        key.Length > 0 && key.Split('/').All(s => s.Length > 0 && s != "." && s != ".." && !s.Contains('\0', StringComparison.Ordinal));
}
