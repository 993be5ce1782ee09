using Microsoft.Extensions.Logging;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Readahead across files (decision 0029): readers that open files in the snapshot's key order (a walk in name order:
/// <c>cp -r</c>, <c>tar</c>, <c>grep -r</c>, a loader reading a sorted index) get the first chunk of each of the next files
/// made present by the silo before they open them, so an open finds its chunk on the node instead of waiting for an
/// object-store round trip. A file's inode number holds its key-order ordinal (decision 0013), so a walk is a run of
/// opens whose ordinals stay close together and cover their span densely. Up to <see cref="Streams"/> walks are followed
/// at once; an open joins the walk whose furthest ordinal is within <see cref="Slack"/> of its own (parallel readers take
/// neighbouring files slightly out of order). A walk reads ahead once it has <see cref="Streak"/> opens and they cover at
/// least a third of the ordinals it spans (a reader may skip the files it does not want, but shuffled reads that happen
/// to land near each other do not look like that); then it keeps <c>files</c> files covered ahead, asking the silo again
/// (one request at a time per walk) when fewer than half are left. A shuffled epoch is the warm-up's case (decision 0027).
/// A hint: failures are logged, and each reader fetches its own chunks as before.
/// </summary>
/// <param name="ask">asks the silo to cover the given number of files after a path (below the mounted root)</param>
/// <param name="covered">gets the entries of the files the silo covered (their lookups need not ask it again)</param>
public sealed class FileReadahead(Func<string, int, CancellationToken, Task<FileReadaheadAnswer?>> ask, int files, ILogger logger, Action<IReadOnlyList<ListingItem>>? covered = null)
{
    /// <summary>Walks followed at once (least recently joined replaced).</summary>
    public const int Streams = 4;

    /// <summary>How far (in ordinals) an open may land from a walk's furthest open and still join it.</summary>
    public const long Slack = 32;

    /// <summary>Opens a walk must have (its first included) before it reads ahead.</summary>
    public const int Streak = 4;

    /// <summary>A walk reads ahead only while its opens are at least 1/<see cref="Density"/> of the ordinals it spans.</summary>
    public const int Density = 3;

    /// <summary>Opens a walk waits after a request that covered nothing (the node's readahead bound was full).</summary>
    public const int BackOffOpens = 4;

    private readonly Lock _lock = new();
    private readonly Walk?[] _walks = new Walk?[Streams];
    private long _clock;
    private long _requests;
    private long _covered;
    private long _failed;

    /// <summary>Files kept covered ahead of a walk; 0 turns readahead across files off.</summary>
    public int Files { get; } = files;

    /// <summary>Requests sent to the silo.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Files the silo covered (their first chunk started, present or coming).</summary>
    public long FilesCovered => Interlocked.Read(ref _covered);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Called for every open of a file: <paramref name="ino"/> its inode number, <paramref name="path"/> its snapshot path.</summary>
    public void OnOpen(ulong ino, string path)
    {
        if (Files <= 0 || InodeNumbers.FileOrdinal(ino) is not { } ordinal)
        {
            return;
        }

        Walk walk;
        string after;
        lock (_lock)
        {
            _clock++;
            if (Join(ordinal) is not { } joined)
            {
                Start(ordinal);
                return;
            }

            walk = joined;
            walk.Used = _clock;
            if (ordinal != walk.Last)
            {
                walk.Opens++; // the same file opened again is no step of a walk
            }

            walk.First = Math.Min(walk.First, ordinal);
            walk.Last = Math.Max(walk.Last, ordinal);
            if (walk.Opens < Streak || walk.Opens * Density < walk.Last - walk.First + 1 || walk.Busy || walk.End || walk.Frontier - walk.Last > Files / 2)
            {
                return;
            }

            if (walk.BackOff > 0)
            {
                walk.BackOff--;
                return;
            }

            // Ask after the last file covered, or after this one when the readers have passed it.
            after = walk.Frontier > ordinal && walk.FrontierPath is not null ? walk.FrontierPath : path;
            walk.Busy = true;
        }

        _ = SendAsync(walk, after);
    }

    private Walk? Join(long ordinal)
    {
        foreach (var walk in _walks)
        {
            if (walk is not null && ordinal >= walk.Last - Slack && ordinal <= walk.Last + Slack)
            {
                return walk;
            }
        }

        return null;
    }

    private void Start(long ordinal)
    {
        var slot = 0;
        for (var i = 0; i < _walks.Length; i++)
        {
            if (_walks[i] is null)
            {
                slot = i;
                break;
            }

            if (_walks[i]!.Used < _walks[slot]!.Used)
            {
                slot = i;
            }
        }

        _walks[slot] = new Walk { First = ordinal, Last = ordinal, Opens = 1, Frontier = ordinal, Used = _clock };
    }

    private async Task SendAsync(Walk walk, string after)
    {
        try
        {
            var answer = await ask(after, Files, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _requests);
            lock (_lock)
            {
                if (answer is null)
                {
                    walk.End = true; // the backend cannot
                    return;
                }

                if (answer.Last is not null && InodeNumbers.FileOrdinal(answer.LastIno) is { } last && last > walk.Frontier)
                {
                    walk.Frontier = last;
                    walk.FrontierPath = answer.Last;
                }

                walk.End |= answer.End;
                walk.BackOff = answer.Covered == 0 ? BackOffOpens : 0;
            }

            Interlocked.Add(ref _covered, answer.Covered);
            if (answer.Files is { Count: > 0 } entries)
            {
                covered?.Invoke(entries);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failed);
            logger.LogDebug("readahead of the files after {After} failed: {Message}", after, e.Message);
        }
        finally
        {
            lock (_lock)
            {
                walk.Busy = false;
            }
        }
    }

    private sealed class Walk
    {
        public long First; // the lowest ordinal opened
        public long Last; // the furthest ordinal opened
        public long Opens; // opens that joined, the first included
        public long Frontier; // the ordinal of the last file covered ahead
        public string? FrontierPath;
        public long Used;
        public int BackOff;
        public bool Busy;
        public bool End;
    }
}
