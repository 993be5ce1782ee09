namespace OrleansMount.Client.Mount;

/// <summary>
/// Tells sequential from random reads of one open file and says which chunks to fetch ahead. A read is
/// sequential when it starts within <see cref="Slack"/> of where the previous one ended (libfuse threads
/// and the kernel's own readahead may deliver neighbouring reads slightly out of order); after
/// <see cref="Streak"/> sequential reads in a row, the chunks up to <c>window</c> past the one being read
/// are due, each once. Any other read resets the streak, so random access never triggers readahead.
/// </summary>
public sealed class SequentialDetector(long fileSize, int chunkSize, int window)
{
    /// <summary>How far from the previous read's end a read may start and still count as sequential.</summary>
    public const long Slack = 256 * 1024;

    /// <summary>Sequential reads in a row before chunks are fetched ahead.</summary>
    public const int Streak = 3;

    private readonly Lock _lock = new();
    private long _next = -1;
    private int _streak;
    private int _requestedUpTo = -1;
    private int _aheadUpTo = -1; // the furthest chunk ever named ahead: never reset

    /// <summary>
    /// Whether chunk <paramref name="index"/> was named to be fetched ahead (or lies before one that was), in this run or
    /// an earlier one: a read slightly out of order beyond <see cref="Slack"/> ends a run, not the fills it started.
    /// </summary>
    public bool FetchingAhead(int index)
    {
        lock (_lock)
        {
            return index <= _aheadUpTo;
        }
    }

    /// <summary>Records a read; returns the chunks (inclusive) to fetch ahead now, or null.</summary>
    public (int From, int To)? OnRead(long offset, int length)
    {
        if (length <= 0 || fileSize <= 0)
        {
            return null;
        }

        lock (_lock)
        {
            var sequential = _next >= 0 && offset >= _next - Slack && offset <= _next + Slack;
            if (sequential)
            {
                _streak++;
                _next = Math.Max(_next, offset + length);
            }
            else
            {
                _streak = 0;
                _next = offset + length;
                _requestedUpTo = -1;
                return null;
            }

            if (_streak < Streak)
            {
                return null;
            }

            var current = (int)((Math.Min(offset + length, fileSize) - 1) / chunkSize);
            var last = (int)((fileSize - 1) / chunkSize);
            var to = (int)Math.Min((long)current + window, last);
            var from = Math.Max(current + 1, _requestedUpTo + 1);
            if (from > to)
            {
                return null;
            }

            _requestedUpTo = to;
            _aheadUpTo = Math.Max(_aheadUpTo, to);
            return (from, to);
        }
    }
}
