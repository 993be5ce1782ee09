using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Client.Mount;

namespace OrleansMount.Tests.Mount;

/// <summary>When the mount decides its readers are walking a cold dataset, and what it then asks of the silo (no silo here).</summary>
[UnitTest]
public sealed class WarmUpTests
{
    private int _starts;

    private WarmUp Create(long snapshotBytes = 1 << 20, long cacheBytes = 1 << 30, Exception? failure = null) => new(
        _ => Task.FromResult(new WarmUp.Budget(snapshotBytes, cacheBytes)),
        _ =>
        {
            Interlocked.Increment(ref _starts);
            return failure is null ? Task.FromResult("job-1") : Task.FromException<string>(failure);
        },
        NullLogger.Instance);

    [Fact]
    public async Task It_starts_once_after_32_different_cold_files_in_two_directories_and_never_again()
    {
        var warmUp = Create();
        for (var i = 0; i < WarmUp.Files - 1; i++)
        {
            warmUp.ColdRead((ulong)i, $"s3://b/train/c{i % 5}/f{i}.jpg");
            warmUp.ColdRead((ulong)i, $"s3://b/train/c{i % 5}/f{i}.jpg"); // another chunk of the same file counts once
        }

        await warmUp.Started;
        Assert.Equal(0, _starts);
        Assert.Null(warmUp.Outcome);

        warmUp.ColdRead(999, "s3://b/train/c0/last.jpg");
        await warmUp.Started;
        Assert.Equal(1, _starts);
        Assert.StartsWith("warm-up started", warmUp.Outcome, StringComparison.Ordinal);
        Assert.Contains("job-1", warmUp.Outcome, StringComparison.Ordinal);

        for (var i = 1000; i < 1100; i++)
        {
            warmUp.ColdRead((ulong)i, $"s3://b/val/f{i}.jpg");
        }

        await warmUp.Started;
        Assert.Equal(1, _starts);
    }

    [Fact]
    public async Task Files_of_one_directory_alone_do_not_start_it()
    {
        var warmUp = Create();
        for (var i = 0; i < 100; i++)
        {
            warmUp.ColdRead((ulong)i, $"s3://b/one/f{i}");
        }

        await warmUp.Started;
        Assert.Equal(0, _starts);
    }

    [Fact]
    public async Task A_snapshot_larger_than_half_the_cache_is_not_prefetched_and_a_failure_is_only_logged()
    {
        var big = Create(snapshotBytes: (1L << 30) + 1, cacheBytes: 2L << 30);
        for (var i = 0; i < WarmUp.Files; i++)
        {
            big.ColdRead((ulong)i, $"s3://b/d{i % 2}/f{i}");
        }

        await big.Started;
        Assert.Equal(0, _starts);
        Assert.Contains("do not fit in half of the silo's", big.Outcome, StringComparison.Ordinal);

        var failing = Create(failure: new InvalidOperationException("silo gone"));
        for (var i = 0; i < WarmUp.Files; i++)
        {
            failing.ColdRead((ulong)i, $"s3://b/d{i % 2}/f{i}");
        }

        await failing.Started;
        Assert.Equal(1, _starts);
        Assert.Equal("warm-up could not start: silo gone; files are fetched as they are read", failing.Outcome);
    }
}
