using System.Diagnostics;
using OrleansMount.Core;
using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Client.Commands;

/// <summary>
/// A prefetch job's progress on stderr: a live bar on a terminal (bytes, chunks, rate, ETA), a plain
/// line every few seconds otherwise (logs, CI).
/// </summary>
internal sealed class PrefetchProgressPrinter
{
    private const int BarWidth = 24;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;
    private TimeSpan _lastPrinted;
    private long _firstBytes = -1;
    private bool _printed;

    public TimeSpan Interval => _live ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1);

    public void Report(PrefetchJobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (_firstBytes < 0)
        {
            _firstBytes = status.BytesDone;
        }

        if (!_live && _printed && _clock.Elapsed - _lastPrinted < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _lastPrinted = _clock.Elapsed;
        var line = Line(status, _clock.Elapsed, status.BytesDone - _firstBytes);
        Console.Error.Write(_live ? "\r" + line + "   " : line + Environment.NewLine);
        _printed = true;
    }

    public void Finish()
    {
        if (_printed && _live)
        {
            Console.Error.WriteLine();
        }
    }

    /// <summary>One progress line: bar and percent, bytes, chunks (or ranges), rate and ETA.</summary>
    public static string Line(PrefetchJobStatus status, TimeSpan elapsed, long bytesSinceStart)
    {
        ArgumentNullException.ThrowIfNull(status);
        double fraction;
        string counts;
        if (status.MetadataOnly)
        {
            fraction = status.RangesTotal == 0 ? 1 : (double)(status.RangesDone + status.RangesFailed) / status.RangesTotal;
            counts = $"{status.RangesDone}/{status.RangesTotal} ranges on {status.Silos} silos";
        }
        else
        {
            fraction = status.BytesTotal == 0 ? (status.ChunksTotal == 0 ? 1 : (double)status.ChunksDone / status.ChunksTotal) : (double)status.BytesDone / status.BytesTotal;
            counts = $"{ByteSize.Format(status.BytesDone)}/{ByteSize.Format(status.BytesTotal)}  {status.ChunksDone}/{status.ChunksTotal} chunks";
            var rate = bytesSinceStart / Math.Max(0.001, elapsed.TotalSeconds);
            counts += $"  {ByteSize.Format((long)rate)}/s";
            if (rate > 0 && status.BytesDone < status.BytesTotal)
            {
                var eta = TimeSpan.FromSeconds(Math.Min((status.BytesTotal - status.BytesDone) / rate, TimeSpan.FromDays(1).TotalSeconds));
                counts += $"  ETA {(int)eta.TotalMinutes}:{eta.Seconds:D2}";
            }
        }

        if (status.ChunksFailed + status.RangesFailed > 0)
        {
            counts += $"  {status.ChunksFailed + status.RangesFailed} failed";
        }

        fraction = Math.Clamp(fraction, 0, 1);
        var filled = (int)Math.Round(fraction * BarWidth);
        return $"prefetch {status.Id} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction * 100,3:0}%  {counts}";
    }
}
