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
        var due = TimeSpan.FromSeconds(_bytes / (double)bytesPerSecond);
        var ahead = due - Stopwatch.GetElapsedTime(_start);
        if (ahead > TimeSpan.Zero)
        {
            await Task.Delay(ahead, cancellationToken).ConfigureAwait(false);
        }
    }
}
