using Microsoft.Extensions.Time.Testing;
using OrleansMount.Storage.ObjectStores;
using Polly.Timeout;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>
/// <see cref="ObjectStoreRetryPolicy"/> run on Polly by <see cref="ObjectStoreRetryPipeline"/>, on fake
/// time: bounded attempts, equal-jitter delays, the per-attempt timeout, the deadline (no attempt starts
/// after it, a running one is not cut by it), what is retried and what is counted.
/// </summary>
[UnitTest]
public sealed class ObjectStoreRetryPipelineTests
{
    private readonly SteppedTime _time = new();
    private readonly DateTimeOffset _start;
    private readonly List<TimeSpan> _starts = [];
    private readonly ObjectStoreCounters _counters = new();

    public ObjectStoreRetryPipelineTests() => _start = _time.GetUtcNow();

    [Theory]
    [InlineData(0.0, new[] { 0, 100, 300, 700 })]
    [InlineData(1.0, new[] { 0, 200, 600, 1400 })]
    public async Task Transient_failures_are_retried_after_equal_jitter_delays_until_the_attempts_run_out(double random, int[] startsMs)
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy { MaxAttempts = 4 }, random);

        var failure = await FailureOf(pipeline, _ => throw new IOException("reset"));

        Assert.Equal(startsMs.Select(ms => TimeSpan.FromMilliseconds(ms)), _starts);
        Assert.True(failure.Transient);
        Assert.Equal(4, failure.Attempts);
        Assert.IsType<IOException>(failure.Error);
        Assert.Equal(TimeSpan.FromMilliseconds(startsMs[^1]), failure.Elapsed);
        Assert.Equal((3, 1), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task A_success_after_transient_failures_is_returned_and_only_the_retries_are_counted()
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy(), 0);

        var result = await Drive(pipeline.ExecuteAsync(_ => Attempt(() => _starts.Count < 3 ? throw new HttpRequestException("503") : 42), Fail, CancellationToken.None));

        Assert.Equal(42, result);
        Assert.Equal(3, _starts.Count);
        Assert.Equal((2, 0), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried_and_counts_as_a_failure()
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy(), 0);

        var failure = await FailureOf(pipeline, _ => throw new InvalidOperationException("access denied"));

        Assert.False(failure.Transient);
        Assert.Equal(1, failure.Attempts);
        Assert.Single(_starts);
        Assert.Equal((0, 1), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task An_object_store_verdict_from_an_attempt_is_thrown_as_it_is_and_not_counted()
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy(), 0);

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Drive(pipeline.ExecuteAsync<int>(_ => throw new ObjectNotFoundException("s3://b/k"), Fail, CancellationToken.None)));

        Assert.Equal((0, 0), (_counters.Retries, _counters.Failures));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stalled_attempt_is_abandoned_at_its_timeout_and_retried(bool failsWithIOException)
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy { MaxAttempts = 3, AttemptTimeout = TimeSpan.FromSeconds(1) }, 0);

        // A stalled body read ends in a cancellation, or in an IOException when the stream is torn down.
        var failure = await FailureOf(pipeline, async ct =>
        {
            try
            {
                _time.Idle();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException) when (failsWithIOException)
            {
                throw new IOException("the connection was closed");
            }

            return 0;
        });

        Assert.True(failure.TimedOut);
        Assert.IsType<TimeoutRejectedException>(failure.Error);
        Assert.True(failure.Transient);
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(1100), TimeSpan.FromMilliseconds(2300)], _starts);
        Assert.Equal(TimeSpan.FromMilliseconds(3300), failure.Elapsed);
        Assert.Equal((2, 1), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task No_attempt_starts_after_the_deadline_and_the_running_one_is_not_cut_by_it()
    {
        // Attempts stall for their 1 s timeout; delays 100, 200, 400 ms: starts at 0, 1.1, 2.3, 3.7 s. The
        // fourth attempt runs past the 4 s deadline to its own timeout (4.7 s); a fifth would start at 5.5 s.
        var deadline = TimeSpan.FromSeconds(4);
        var pipeline = Pipeline(new ObjectStoreRetryPolicy { MaxAttempts = 100, AttemptTimeout = TimeSpan.FromSeconds(1), Deadline = deadline }, 0);

        var failure = await FailureOf(pipeline, async ct =>
        {
            _time.Idle();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return 0;
        });

        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(1100), TimeSpan.FromMilliseconds(2300), TimeSpan.FromMilliseconds(3700)], _starts);
        Assert.All(_starts, start => Assert.True(start < deadline));
        Assert.Equal(4, failure.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(4700), failure.Elapsed);
        Assert.True(failure.TimedOut);
        Assert.Equal((3, 1), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task An_attempt_that_started_before_the_deadline_may_succeed_after_it()
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy { AttemptTimeout = TimeSpan.FromSeconds(10), Deadline = TimeSpan.FromSeconds(1) }, 0);

        var result = await Drive(pipeline.ExecuteAsync(
            async ct =>
            {
                _starts.Add(Now);
                if (_starts.Count == 1)
                {
                    throw new IOException("reset");
                }

                await Task.Delay(TimeSpan.FromSeconds(3), _time, ct);
                return 7;
            },
            Fail,
            CancellationToken.None));

        Assert.Equal(7, result);
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(100)], _starts);
        Assert.Equal(TimeSpan.FromMilliseconds(3100), Now);
        Assert.Equal((1, 0), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task One_attempt_means_no_retry()
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy { MaxAttempts = 1 }, 0);

        var failure = await FailureOf(pipeline, _ => throw new IOException("reset"));

        Assert.True(failure.Transient);
        Assert.Equal(1, failure.Attempts);
        Assert.Equal((0, 1), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public async Task The_callers_cancellation_is_neither_retried_nor_counted()
    {
        var pipeline = Pipeline(new ObjectStoreRetryPolicy { BaseDelay = TimeSpan.FromSeconds(1) }, 0);
        using var duringDelay = new CancellationTokenSource();
        var execution = pipeline.ExecuteAsync<int>(_ => Attempt<int>(() => throw new IOException("reset")), Fail, duringDelay.Token);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await duringDelay.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => execution);
        Assert.Single(_starts);

        using var duringAttempt = new CancellationTokenSource();
        execution = pipeline.ExecuteAsync(
            async ct =>
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return 0;
            },
            Fail,
            duringAttempt.Token);
        await duringAttempt.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => execution);

        Assert.Equal((1, 0), (_counters.Retries, _counters.Failures));
    }

    [Fact]
    public void Settings_outside_what_Polly_accepts_are_refused_in_their_own_names()
    {
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPolicy { AttemptTimeout = TimeSpan.FromMilliseconds(5) }.Validate());
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPolicy { AttemptTimeout = TimeSpan.FromDays(2), Deadline = TimeSpan.FromDays(3) }.Validate());
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPolicy { MaxDelay = TimeSpan.FromDays(2) }.Validate());
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPipeline(new ObjectStoreRetryPolicy { MaxAttempts = 0 }, null, _ => true));
    }

    private TimeSpan Now => _time.GetUtcNow() - _start;

    private static ObjectStoreRetryFailureException Fail(ObjectStoreRetryFailure failure) => new(failure);

    private ObjectStoreRetryPipeline Pipeline(ObjectStoreRetryPolicy policy, double random) =>
        new(policy, _counters, e => e is IOException or HttpRequestException, _time, () => random);

    /// <summary>A synchronous attempt that records when it started.</summary>
    private Task<T> Attempt<T>(Func<T> body)
    {
        _starts.Add(Now);
        return Task.FromResult(body());
    }

    private async Task<ObjectStoreRetryFailure> FailureOf(ObjectStoreRetryPipeline pipeline, Func<CancellationToken, Task<int>> attempt)
    {
        var error = await Assert.ThrowsAsync<ObjectStoreRetryFailureException>(() => Drive(pipeline.ExecuteAsync(
            ct =>
            {
                _starts.Add(Now);
                return attempt(ct);
            },
            Fail,
            CancellationToken.None)));
        return error.Failure;
    }

    /// <summary>
    /// Moves fake time until <paramref name="execution"/> ends: each time the pipeline waits (on a delay,
    /// or in an attempt that stalls), a millisecond at a time up to the next timer that fires, then not
    /// again until the work that timer started waits again. Continuations run on the thread pool, so
    /// this barrier, not luck, keeps the clock still while the pipeline works.
    /// </summary>
    private async Task<T> Drive<T>(Task<T> execution)
    {
        while (true)
        {
            var idle = _time.WaitIdleAsync();
            if (await Task.WhenAny(execution, idle) == execution)
            {
                return await execution;
            }

            _time.AdvanceToNextTimer();
        }
    }

    private sealed class ObjectStoreRetryFailureException(ObjectStoreRetryFailure failure) : Exception("failed for good")
    {
        public ObjectStoreRetryFailure Failure { get; } = failure;
    }

    /// <summary>
    /// Fake time that says when the code under test waits: a delay timer (Polly's backoff, an attempt's
    /// own wait) is armed, or <see cref="Idle"/> is called; attempt timeouts (a cancellation source's
    /// timer) fire but are no sign of waiting.
    /// </summary>
    private sealed class SteppedTime : FakeTimeProvider
    {
        private readonly SemaphoreSlim _idle = new(0);
        private int _fired;

        public void Idle() => _idle.Release();

        public Task WaitIdleAsync() => _idle.WaitAsync();

        public void AdvanceToNextTimer()
        {
            Volatile.Write(ref _fired, 0);
            for (var i = 0; Volatile.Read(ref _fired) == 0; i++)
            {
                Assert.True(i < 3_600_000, "no timer fired within an hour of fake time");
                Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(
                s =>
                {
                    Volatile.Write(ref _fired, 1);
                    callback(s);
                },
                state,
                dueTime,
                period);
            if (state is not CancellationTokenSource && dueTime != Timeout.InfiniteTimeSpan)
            {
                Idle();
            }

            return timer;
        }
    }
}
