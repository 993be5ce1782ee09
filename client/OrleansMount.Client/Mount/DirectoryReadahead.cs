namespace OrleansMount.Client.Mount;

/// <summary>
/// Directory readahead: a walker (find, os.walk, ImageFolder's index) lists a directory, then goes into its
/// subdirectories one after another in listing order. While the kernel, the walker and this mount work on one
/// directory, the silo can already build the first page of the next ones: this class fetches, in the
/// background, the first pages of the <see cref="Depth"/> subdirectories that follow the one just opened in its
/// parent's listing, and of its own first <see cref="Depth"/> subdirectories. A fetched page waits for its opendir
/// among at most <see cref="Capacity"/> others (the oldest is dropped); a failed fetch is forgotten and the directory
/// is fetched again when opened, so a failure is reported by the request that needs it. The snapshot is immutable,
/// so a page fetched ahead is the page a later fetch would give. Memory: at most <see cref="Capacity"/> pages and
/// <see cref="MaxPlanned"/> planned subdirectories (ino and path) of at most <see cref="MaxPlans"/> parents, whatever the tree's size.
/// </summary>
internal sealed class DirectoryReadahead(Func<ulong, string, Task<SnapshotFileSystem.DirectoryPageView>> fetchFirstPage)
{
    /// <summary>Subdirectories fetched ahead of the one being opened.</summary>
    public const int Depth = 2;

    /// <summary>Pages fetched ahead and not yet opened, at most.</summary>
    public const int Capacity = 8;

    /// <summary>Subdirectories remembered in listing order (over the most recent parents), at most.</summary>
    public const int MaxPlanned = 65_536;

    /// <summary>Parents whose subdirectories are remembered, at most.</summary>
    public const int MaxPlans = 1_024;

    private readonly object _lock = new();
    private readonly Dictionary<ulong, Task<SnapshotFileSystem.DirectoryPageView>> _ahead = [];
    private readonly Queue<ulong> _aheadOrder = new();
    private readonly Dictionary<ulong, (Plan Plan, int Index)> _planned = [];
    private readonly Dictionary<ulong, Plan> _plans = [];
    private readonly Queue<Plan> _planOrder = new();
    private long _hits;
    private long _fetched;

    /// <summary>First pages opened that had been fetched ahead.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>First pages fetched ahead.</summary>
    public long Fetched => Interlocked.Read(ref _fetched);

    /// <summary>
    /// Records the subdirectories a page of <paramref name="parent"/> listed, in listing order (a first page starts the
    /// parent's plan again). Nothing is fetched here: a page fetched ahead lists subdirectories too, and only opening
    /// a directory fetches ahead, so readahead never runs away down a deep tree.
    /// </summary>
    public void Listed(ulong parent, bool firstPage, IReadOnlyList<(ulong Ino, string Path)> subdirectories)
    {
        lock (_lock)
        {
            _plans.TryGetValue(parent, out var plan);
            if (firstPage && plan is not null)
            {
                DropPlan(plan); // listed again from the start
                plan = null;
            }

            if (subdirectories.Count == 0)
            {
                return;
            }

            if (plan is null)
            {
                plan = new Plan(parent);
                _plans[parent] = plan;
                _planOrder.Enqueue(plan);
                while (_planOrder.Count > MaxPlans)
                {
                    DropOldestPlan();
                }
            }

            foreach (var sub in subdirectories)
            {
                if (_planned.Count >= MaxPlanned)
                {
                    DropOldestPlan();
                    if (!_plans.ContainsKey(parent))
                    {
                        return; // this parent's plan was the oldest: too many subdirectories to plan
                    }
                }

                _planned[sub.Ino] = (plan, plan.Subdirectories.Count);
                plan.Subdirectories.Add(sub);
            }
        }
    }

    /// <summary>The first page of <paramref name="ino"/>: the one fetched ahead when there is one that did not fail, else fetched now; either way its next siblings are fetched ahead.</summary>
    public async Task<SnapshotFileSystem.DirectoryPageView> FirstPageAsync(ulong ino, string path)
    {
        Task<SnapshotFileSystem.DirectoryPageView>? ahead;
        List<(ulong, string)> next = [];
        lock (_lock)
        {
            _ahead.Remove(ino, out ahead);
            if (_planned.TryGetValue(ino, out var at))
            {
                // A walker that just opened the sibling after this one goes backwards (a stack of subdirectories
                // popped from its end, as in a Python walk): the siblings before it come next.
                var plan = at.Plan;
                plan.Backwards = plan.LastOpened == at.Index + 1;
                plan.LastOpened = at.Index;
                for (var k = 1; k <= Depth; k++)
                {
                    var i = plan.Backwards ? at.Index - k : at.Index + k;
                    if (i >= 0 && i < plan.Subdirectories.Count)
                    {
                        next.Add(plan.Subdirectories[i]);
                    }
                }
            }
        }

        Start(next);
        var page = await SucceededAsync(ahead).ConfigureAwait(false);
        if (page is not null)
        {
            Interlocked.Increment(ref _hits);
        }
        else
        {
            // Not fetched ahead, or failed: fetched now, so a failure that lasts is reported to the opendir that needs the page.
            page = await fetchFirstPage(ino, path).ConfigureAwait(false);
        }

        // The walker goes into this directory's subdirectories next: their first pages, ahead.
        List<(ulong, string)> children = [];
        lock (_lock)
        {
            if (_plans.TryGetValue(ino, out var plan))
            {
                // In the walk's direction, as its parent was walked.
                var backwards = _planned.TryGetValue(ino, out var at) && at.Plan.Backwards;
                children.AddRange(backwards ? plan.Subdirectories.TakeLast(Depth).Reverse() : plan.Subdirectories.Take(Depth));
            }
        }

        Start(children);
        return page;
    }

    private void Start(List<(ulong Ino, string Path)> directories)
    {
        foreach (var (ino, path) in directories)
        {
            Task<SnapshotFileSystem.DirectoryPageView> task;
            lock (_lock)
            {
                if (_ahead.ContainsKey(ino))
                {
                    continue;
                }

                while (_ahead.Count >= Capacity && _aheadOrder.TryDequeue(out var oldest))
                {
                    _ahead.Remove(oldest);
                }

                task = InBackground(() => fetchFirstPage(ino, path));
                _ahead[ino] = task;
                _aheadOrder.Enqueue(ino);
            }

            Interlocked.Increment(ref _fetched);
        }
    }

    /// <summary>A page fetch started in the background; a failure is observed here (it is the caller's to fetch again).</summary>
    internal static Task<SnapshotFileSystem.DirectoryPageView> InBackground(Func<Task<SnapshotFileSystem.DirectoryPageView>> fetch)
    {
        var task = Task.Run(fetch);
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>The page a background fetch gave; null when there was none or it failed.</summary>
    internal static async Task<SnapshotFileSystem.DirectoryPageView?> SucceededAsync(Task<SnapshotFileSystem.DirectoryPageView>? ahead)
    {
        if (ahead is null)
        {
            return null;
        }

        try
        {
            return await ahead.ConfigureAwait(false);
        }
        catch (Exception)
        {
            return null;
        }
    }

    private void DropOldestPlan()
    {
        if (_planOrder.TryDequeue(out var oldest))
        {
            DropPlan(oldest);
        }
    }

    private void DropPlan(Plan plan)
    {
        if (_plans.TryGetValue(plan.Parent, out var current) && ReferenceEquals(current, plan))
        {
            _plans.Remove(plan.Parent);
        }

        foreach (var (ino, _) in plan.Subdirectories)
        {
            if (_planned.TryGetValue(ino, out var at) && ReferenceEquals(at.Plan, plan))
            {
                _planned.Remove(ino);
            }
        }

        plan.Subdirectories.Clear();
    }

    private sealed class Plan(ulong parent)
    {
        public ulong Parent { get; } = parent;

        public List<(ulong Ino, string Path)> Subdirectories { get; } = [];

        /// <summary>The subdirectory opened last, and whether the walk goes from the end to the start.</summary>
        public int LastOpened { get; set; } = -1;

        public bool Backwards { get; set; }
    }
}
