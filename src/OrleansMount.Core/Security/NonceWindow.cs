namespace OrleansMount.Core.Security;

/// <summary>
/// The signatures a silo accepted within the replay window, so that each is accepted once. Entries are kept
/// per signed second: a signature signed at second T verifies only while |now − T| ≤ <c>window</c>, so the
/// entries of second T are dropped once now − T exceeds the window, and memory follows the request rate
/// of the last window (one entry ≈ 28 bytes plus the hash set's slack).
/// <para>
/// A signature is identified by its (time, nonce) pair, not the nonce alone: the HMAC binds the nonce to its
/// time, so a captured request replayed as sent has the same time; the same nonce with another time is a new
/// signature that only a holder of the secret can make (and 128 random bits do not repeat by chance).
/// </para>
/// <para>
/// <b>At the cap</b> (<see cref="Capacity"/> entries, e.g. a request rate above capacity ÷ window), the window
/// forgets its oldest seconds whole and from then on refuses every signature signed at or before the newest
/// second it forgot (<see cref="NonceVerdict.Forgotten"/>). Replays are therefore never let through: what
/// shrinks is the accepted clock skew (to about capacity ÷ rate seconds), so callers with synchronised clocks
/// keep working and a caller whose clock lags by more is refused. Only if more than <see cref="Capacity"/>
/// requests arrive within one second are requests of that second refused until the next one.
/// </para>
/// </summary>
public sealed class NonceWindow
{
    /// <summary>The default cap: 500,000 entries (≈ 14–28 MiB), 1,666 signed requests a second kept for 5 minutes.</summary>
    public const int DefaultCapacity = 500_000;

    private readonly Dictionary<long, HashSet<Nonce>> _bySecond = [];
    private readonly long _windowSeconds;
    private readonly Lock _lock = new();
    private long _prunedAt = long.MinValue;
    private long _forgottenUpTo = long.MinValue;
    private int _count;
    private long _forgotten;

    public NonceWindow(TimeSpan window, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _windowSeconds = (long)Math.Ceiling(window.TotalSeconds);
        Capacity = capacity;
    }

    /// <summary>The most entries kept at once.</summary>
    public int Capacity { get; }

    /// <summary>Entries kept now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Entries dropped before their time left the window, because the window was full.</summary>
    public long Forgotten => Interlocked.Read(ref _forgotten);

    /// <summary>
    /// Remembers the signature (<paramref name="signedSeconds"/>, <paramref name="nonce"/>) and says whether it is
    /// new. The caller has already checked that <paramref name="signedSeconds"/> is within the window of
    /// <paramref name="nowSeconds"/> and that the signature is genuine (so only holders of the secret add entries).
    /// </summary>
    public NonceVerdict TryAdd(long signedSeconds, Nonce nonce, long nowSeconds)
    {
        lock (_lock)
        {
            Prune(nowSeconds);
            if (signedSeconds <= _forgottenUpTo)
            {
                return NonceVerdict.Forgotten;
            }

            if (_bySecond.TryGetValue(signedSeconds, out var seen) && seen.Contains(nonce))
            {
                return NonceVerdict.Replayed;
            }

            while (_count >= Capacity)
            {
                ForgetOldestSecond();
            }

            if (signedSeconds <= _forgottenUpTo)
            {
                return NonceVerdict.Forgotten;
            }

            if (!_bySecond.TryGetValue(signedSeconds, out seen))
            {
                seen = [];
                _bySecond[signedSeconds] = seen;
            }

            seen.Add(nonce);
            _count++;
            return NonceVerdict.Accepted;
        }
    }

    /// <summary>Drops the seconds that left the window (at most once per second of the clock: at most 2 × window + 1 keys).</summary>
    private void Prune(long nowSeconds)
    {
        if (nowSeconds == _prunedAt)
        {
            return;
        }

        _prunedAt = nowSeconds;
        List<long>? expired = null;
        foreach (var second in _bySecond.Keys)
        {
            if (nowSeconds - second > _windowSeconds)
            {
                (expired ??= []).Add(second);
            }
        }

        foreach (var second in expired ?? [])
        {
            _count -= _bySecond[second].Count;
            _bySecond.Remove(second);
        }
    }

    private void ForgetOldestSecond()
    {
        var oldest = long.MaxValue;
        foreach (var second in _bySecond.Keys)
        {
            oldest = Math.Min(oldest, second);
        }

        var dropped = _bySecond[oldest].Count;
        _bySecond.Remove(oldest);
        _count -= dropped;
        _forgottenUpTo = Math.Max(_forgottenUpTo, oldest);
        Interlocked.Add(ref _forgotten, dropped);
    }
}
