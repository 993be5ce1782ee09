using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Lookups the inode table cannot answer. Decision 0031 made them for directories the kernel was listed names only: a
/// stat walk after such a listing asks for every file by name, in listing order, long after the listing's pages have
/// left the inode table's recent inodes. Decision 0037 made them for every directory: readers opening files by name
/// without listing (a manifest-driven loader) ask in much the same order, and each point read was a request of its own.
/// A lookup the table cannot answer asks the silo for a window of the listing that starts at the name (one request: the
/// name and the <see cref="FirstSize"/> - 1 names after it), which <paramref name="remember"/> keeps in the table as
/// recent inodes; a lookup of a window's last name fetches the next window in the background, twice as large, up to
/// <see cref="MaxSize"/>. A walk in listing order then costs a request per window; a random lookup (a training epoch
/// opening files) costs one small window, about what a point read costs. Memory: the windows of at most
/// <see cref="MaxDirectories"/> directories (their positions; the names live in the table).
/// </summary>
/// <param name="list">A window: directory path, the name it starts at or the cursor it resumes at, and its size.</param>
/// <param name="remember">Keeps a window's items as recent children of the directory and gives them back as the table holds them.</param>
/// <param name="known">The table's child of a directory by name, referenced or recent.</param>
/// <param name="pointRead">The silo's answer for one name (directory path, name), when a window cannot tell.</param>
internal sealed class LookupWindows(
    Func<string, string, bool, int, Task<DirectoryListing>> list,
    Func<ulong, string, IReadOnlyList<ListingItem>, IReadOnlyList<ListingItem>> remember,
    Func<ulong, string, ListingItem?> known,
    Func<string, string, Task<ListingItem?>> pointRead)
{
    /// <summary>The first window's size: a random lookup's cost.</summary>
    public const int FirstSize = 32;

    /// <summary>The largest window: a listing page.</summary>
    public const int MaxSize = SnapshotFileSystem.ListingPageSize;

    /// <summary>Directories whose window is kept, at most (past it, all are dropped).</summary>
    public const int MaxDirectories = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Window> _windows = [];
    private long _fetched;
    private long _ahead;

    /// <summary>Windows asked when a lookup missed.</summary>
    public long Fetched => Interlocked.Read(ref _fetched);

    /// <summary>Windows fetched ahead of a walk in listing order.</summary>
    public long Ahead => Interlocked.Read(ref _ahead);

    /// <summary>
    /// The child <paramref name="name"/> of directory <paramref name="parent"/> (path <paramref name="directory"/>),
    /// which the table did not hold: from the window fetched ahead when it holds it, else from a new window starting
    /// at the name; null when there is no such child.
    /// </summary>
    public async Task<ListingItem?> LookupAsync(ulong parent, string directory, string name)
    {
        Task? ahead;
        lock (_lock)
        {
            ahead = _windows.TryGetValue(parent, out var w) ? w.Ahead : null;
        }

        if (ahead is not null)
        {
            await ahead.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // a failure: the window below asks again
            if (known(parent, name) is { } found)
            {
                return found;
            }
        }

        var listing = await list(directory, name, false, FirstSize).ConfigureAwait(false);
        var items = remember(parent, directory, listing.Items);
        Interlocked.Increment(ref _fetched);
        lock (_lock)
        {
            if (_windows.Count >= MaxDirectories && !_windows.ContainsKey(parent))
            {
                _windows.Clear();
            }

            _windows[parent] = new Window(items.Count > 0 ? items[^1].Name : null, listing.Next, FirstSize);
        }

        foreach (var item in items)
        {
            if (item.Name == name)
            {
                return item;
            }
        }

        // A file would have come first. Not there: gone unless it is a subdirectory ("name/" sorts after "name-x"),
        // which the window may not have reached.
        return listing.Next is null || (items.Count > 0 && KeyOrder.CompareKeys(KeyOf(items[^1]), name + "/") >= 0)
            ? null
            : await pointRead(directory, name).ConfigureAwait(false);
    }

    /// <summary>A lookup the table answered: when it is a window's last name, the next window is fetched ahead.</summary>
    public void Hit(ulong parent, string directory, string name)
    {
        Window? w;
        string? next;
        int size;
        lock (_lock)
        {
            if (!_windows.TryGetValue(parent, out w) || w.Last != name || w.Next is not { } cursor)
            {
                return;
            }

            next = cursor;
            size = Math.Min(w.Size * 2, MaxSize);
            w.Next = null; // fetched once
        }

        Interlocked.Increment(ref _ahead);
        var window = w;
        window.Ahead = Task.Run(async () =>
        {
            var listing = await list(directory, next, true, size).ConfigureAwait(false);
            var items = remember(parent, directory, listing.Items);
            lock (_lock)
            {
                window.Last = items.Count > 0 ? items[^1].Name : null;
                window.Next = listing.Next;
                window.Size = size;
            }
        });
        _ = window.Ahead.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static string KeyOf(ListingItem item) => item.Dir ? item.Name + "/" : item.Name;

    private sealed class Window(string? last, string? next, int size)
    {
        public string? Last { get; set; } = last;

        public string? Next { get; set; } = next;

        public int Size { get; set; } = size;

        public Task? Ahead { get; set; }
    }
}
