using System.Diagnostics;

namespace OrleansMount.LatencyProxy;

/// <summary>
/// Paces one body to a byte rate: after each slice it waits until the bytes moved so far could
/// have moved at that rate since the first. One pacer per request and direction.
/// </summary>
public sealed class BandwidthPacer(long bytesPerSecond)
{
    private long _start;
    private long _bytes;

    /// <summary>Bytes to move between two waits: about 20 ms worth, within 4–64 KiB; the whole buffer when unlimited.</summary>
    public int SliceLength => bytesPerSecond <= 0 ? 64 * 1024 : (int)Math.Clamp(bytesPerSecond / 50, 4 * 1024, 64 * 1024);

    /// <summary>Counts <paramref name="bytes"/> moved and waits while the body is ahead of the rate.</summary>
    public async ValueTask AfterAsync(int bytes, CancellationToken cancellationToken)
    {
        if (bytesPerSecond <= 0)
        {
            return;
        }

        if (_start == 0)
        {
            _start = Stopwatch.GetTimestamp();
        }

        _bytes += bytes;
        await WaitUntilAsync(_start, TimeSpan.FromSeconds(_bytes / (double)bytesPerSecond), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until <paramref name="due"/> has passed since <paramref name="start"/> (a
    /// <see cref="Stopwatch"/> timestamp). Timers round to the millisecond and may fire that much
    /// early, so it checks the stopwatch and waits again: never returns before the due time.
    /// </summary>
    public static async Task WaitUntilAsync(long start, TimeSpan due, CancellationToken cancellationToken)
    {
        for (var left = due - Stopwatch.GetElapsedTime(start); left > TimeSpan.Zero; left = due - Stopwatch.GetElapsedTime(start))
        {
            await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, cancellationToken).ConfigureAwait(false);
        }
    }
}
