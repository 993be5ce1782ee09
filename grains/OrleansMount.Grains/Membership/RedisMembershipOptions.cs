namespace OrleansMount.Grains.Membership;

/// <summary>Where the Redis membership table lives and how patiently to talk to it.</summary>
public sealed record RedisMembershipOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or <c>redis:6379,password=…</c>.</summary>
    public required string Configuration { get; init; }

    /// <summary>The cluster's name: part of every key, so several clusters can share one Redis. Letters, digits, '.', '_', '-'.</summary>
    public string ClusterId { get; init; } = "default";

    /// <summary>How long one connection attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times the first connection is retried before the client goes on retrying in the background.</summary>
    public int ConnectRetry { get; init; } = 3;

    /// <summary>
    /// Longest wait for one table operation; past it the operation fails with
    /// <see cref="MembershipUnavailableException"/> (its outcome is then unknown).
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException("RedisMembershipOptions.Configuration is empty: give host:port of the Redis server", nameof(Configuration));
        }

        if (ClusterId.Length == 0 || ClusterId.Length > 64 || !ClusterId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"cluster id '{ClusterId}' must be 1 to 64 of letters, digits, '.', '_', '-'", nameof(ClusterId));
        }

        if (ConnectTimeout <= TimeSpan.Zero || OperationTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("ConnectTimeout and OperationTimeout must be positive");
        }

        if (ConnectRetry < 0)
        {
            throw new ArgumentException($"ConnectRetry must be zero or more, got {ConnectRetry}", nameof(ConnectRetry));
        }
    }
}
