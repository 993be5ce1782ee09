using System.Runtime.ExceptionServices;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// <see cref="ObjectStoreRetryPolicy"/> as a Polly <see cref="ResiliencePipeline"/>: a retry strategy
/// (outer) around a timeout strategy (inner), so each attempt has its own time limit and the delays
/// between attempts do not count against it.
/// <list type="bullet">
/// <item>Attempts: Polly's <c>MaxRetryAttempts</c> is <see cref="ObjectStoreRetryPolicy.MaxAttempts"/> − 1
/// (no retry strategy at all for one attempt, since Polly wants at least one retry).</item>
/// <item>Backoff: exponential, and the delay generator returns exactly
/// <see cref="ObjectStoreRetryPolicy.DelayBefore"/> ("equal jitter"), not Polly's own jitter, whose
/// delays are not bounded below by half the exponential delay.</item>
/// <item>Deadline: the retry predicate draws the next delay and refuses the retry when the elapsed time
/// plus that delay reaches <see cref="ObjectStoreRetryPolicy.Deadline"/>; the delay generator then returns
/// the drawn delay. So no attempt starts after the deadline, and a running attempt is never cut by it
/// (only by its own timeout). An outer timeout strategy would do the opposite.</item>
/// <item>Timeout: Polly turns the attempt's <see cref="OperationCanceledException"/> into a
/// <see cref="TimeoutRejectedException"/>; any other failure of an attempt whose time ran out (a read
/// of a stalled body may end in an <see cref="IOException"/>) is counted as the timeout too.</item>
/// </list>
/// The caller's cancellation is never retried nor counted, and neither is an
/// <see cref="ObjectStoreException"/> thrown by an attempt (it is already a verdict: not found, changed).
/// Time (delays, timeouts, the deadline) comes from the <see cref="TimeProvider"/> given.
/// </summary>
internal sealed class ObjectStoreRetryPipeline
{
    private static readonly ResiliencePropertyKey<Run> RunKey = new("OrleansMount.ObjectStoreRetry.Run");

    private readonly ObjectStoreRetryPolicy _policy;
    private readonly ObjectStoreCounters? _counters;
    private readonly Func<Exception, bool> _isTransient;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _random;
    private readonly ResiliencePipeline _pipeline;

    /// <param name="policy">Attempts, backoff, attempt timeout and deadline; validated here.</param>
    /// <param name="counters">Where retries and final failures are counted; null counts nowhere.</param>
    /// <param name="isTransient">Whether a failure of an attempt may pass if the request is made again.</param>
    /// <param name="timeProvider">The clock and timers; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="random">Draws the random half of each delay, in [0, 1]; <see cref="Random.Shared"/> when null.</param>
    public ObjectStoreRetryPipeline(
        ObjectStoreRetryPolicy policy,
        ObjectStoreCounters? counters,
        Func<Exception, bool> isTransient,
        TimeProvider? timeProvider = null,
        Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(isTransient);
        policy.Validate();
        _policy = policy;
        _counters = counters;
        _isTransient = isTransient;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _random = random ?? Random.Shared.NextDouble;

        var builder = new ResiliencePipelineBuilder { TimeProvider = _timeProvider };
        if (policy.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = policy.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = policy.BaseDelay,
                MaxDelay = policy.MaxDelay,
                UseJitter = false, // the delay generator adds the jitter
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome.Exception, args.AttemptNumber + 1, args.Context)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Context.Properties.GetValue(RunKey, null!).NextDelay),
                OnRetry = _ =>
                {
                    _counters?.Retried();
                    return default;
                },
            });
        }

        _pipeline = builder.AddTimeout(policy.AttemptTimeout).Build();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> under the policy and returns its first success. A failure for good
    /// is counted and thrown as what <paramref name="fail"/> makes of it; the caller's cancellation and an
    /// <see cref="ObjectStoreException"/> from the attempt are thrown as they are.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> attempt, Func<ObjectStoreRetryFailure, Exception> fail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(fail);
        var run = new Run(_timeProvider.GetTimestamp());
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RunKey, run);
        Outcome<T> outcome;
        try
        {
            outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (attemptContext, state) =>
                {
                    var (attempt, run, caller) = state;
                    run.Attempts++;
                    var limit = attemptContext.CancellationToken;
                    try
                    {
                        return Outcome.FromResult(await attempt(limit).ConfigureAwait(false));
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not ObjectStoreException
                        && limit.IsCancellationRequested && !caller.IsCancellationRequested)
                    {
                        // The attempt's time ran out and it failed another way: the timeout strategy reports
                        // only a cancellation as a timeout.
                        return Outcome.FromException<T>(new OperationCanceledException("the attempt was cancelled by its timeout", e, limit));
                    }
                    catch (Exception e)
                    {
                        return Outcome.FromException<T>(e);
                    }
                },
                context,
                (attempt, run, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (outcome.Exception is not { } error)
        {
            return outcome.Result!;
        }

        if (!IsFinal(error, cancellationToken))
        {
            ExceptionDispatchInfo.Throw(error);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // Failed some other way while being cancelled: the cancellation is the answer, as for a cancelled delay.
            throw new OperationCanceledException("the object-store request was cancelled", error, cancellationToken);
        }

        _counters?.Failed();
        throw fail(new ObjectStoreRetryFailure(error, IsRetryable(error), run.Attempts, _timeProvider.GetElapsedTime(run.Started)));
    }

    /// <summary>Whether the request may be made again after attempt number <paramref name="attempt"/> failed with <paramref name="error"/>.</summary>
    private bool ShouldRetry(Exception? error, int attempt, ResilienceContext context)
    {
        if (error is null || !IsFinal(error, context.CancellationToken) || !IsRetryable(error))
        {
            return false;
        }

        var run = context.Properties.GetValue(RunKey, null!);
        run.NextDelay = _policy.DelayBefore(attempt, _random());
        return _timeProvider.GetElapsedTime(run.Started) + run.NextDelay < _policy.Deadline;
    }

    /// <summary>A failure this pipeline settles: not the caller's cancellation, not a verdict the attempt already gave.</summary>
    private static bool IsFinal(Exception error, CancellationToken caller) =>
        error is not ObjectStoreException && !(error is OperationCanceledException && caller.IsCancellationRequested);

    private bool IsRetryable(Exception error) => error is TimeoutRejectedException || _isTransient(error);

    /// <summary>One execution's state, shared by its attempts and the retry strategy's callbacks.</summary>
    private sealed class Run(long started)
    {
        public long Started { get; } = started;

        public int Attempts { get; set; }

        public TimeSpan NextDelay { get; set; }
    }
}
