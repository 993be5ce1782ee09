using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace OrleansMount.Grains.Membership;

/// <summary>
/// The membership table in Redis (layout and failure behaviour in README.md):
/// <list type="bullet">
/// <item><c>orleansmount:{cluster}:members</c>: a hash, one field per silo id, value = the entry as JSON (<see cref="SiloEntryFormat"/>);</item>
/// <item><c>orleansmount:{cluster}:version</c>: a counter, INCR'd in the same MULTI/EXEC as every membership change;</item>
/// <item><c>orleansmount:{cluster}:changes</c>: a pub/sub channel; after a change commits the writer publishes the new version.</item>
/// </list>
/// Read-modify-write operations (heartbeat, declare dead) are optimistic: WATCH the field's old
/// value, write in MULTI, retry if another writer got there first.
/// </summary>
public sealed class RedisMembershipTable : IMembershipTable, IAsyncDisposable, IDisposable
{
    private const int MaxOptimisticAttempts = 16;

    private readonly ConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisMembershipOptions _options;
    private readonly ILogger _logger;
    private readonly RedisKey _membersKey;
    private readonly RedisKey _versionKey;
    private readonly RedisChannel _changesChannel;

    private RedisMembershipTable(ConnectionMultiplexer redis, bool ownsConnection, RedisMembershipOptions options, ILogger? logger)
    {
        _redis = redis;
        _ownsConnection = ownsConnection;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        var prefix = $"orleansmount:{options.ClusterId}:";
        _membersKey = prefix + "members";
        _versionKey = prefix + "version";
        _changesChannel = new RedisChannel(prefix + "changes", RedisChannel.PatternMode.Literal);
    }

    public event Action<long>? Changed;

    /// <summary>The hash holding the entries.</summary>
    public string MembersKey => _membersKey.ToString();

    /// <summary>The version counter.</summary>
    public string VersionKey => _versionKey.ToString();

    /// <summary>The change notification channel.</summary>
    public string ChangesChannel => _changesChannel.ToString();

    /// <summary>
    /// Connects and subscribes to change notifications. Does not fail when Redis is down: the
    /// client keeps reconnecting in the background (AbortOnConnectFail = false), operations throw
    /// <see cref="MembershipUnavailableException"/> at once until it is back (BacklogPolicy.FailFast:
    /// nothing is queued for a later replay), and the subscription is restored on reconnect.
    /// </summary>
    public static async Task<RedisMembershipTable> ConnectAsync(RedisMembershipOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"cannot parse Redis configuration '{options.Configuration}': {e.Message}", nameof(options), e);
        }

        config.AbortOnConnectFail = false;
        config.ConnectRetry = options.ConnectRetry;
        config.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        config.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        config.AsyncTimeout = config.SyncTimeout;
        // StackExchange.Redis 2.5+ otherwise queues commands issued while disconnected and sends them
        // after a reconnect: a write whose caller already saw MembershipUnavailableException could then
        // land late (a stale upsert resurrecting an entry). Fail at once instead, as 1.2.6 did.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName ??= "orleansmount-membership";
        var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        var table = new RedisMembershipTable(redis, ownsConnection: true, options, logger);
        try
        {
            await table.SubscribeAsync().ConfigureAwait(false);
            return table;
        }
        catch
        {
            table.Dispose();
            throw;
        }
    }

    /// <summary>Uses a connection the caller owns (and disposes); subscribes to change notifications.</summary>
    public static async Task<RedisMembershipTable> CreateAsync(ConnectionMultiplexer redis, RedisMembershipOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var table = new RedisMembershipTable(redis, ownsConnection: false, options, logger);
        await table.SubscribeAsync().ConfigureAwait(false);
        return table;
    }

    public Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default) =>
        RunAsync("read the membership table", async db =>
        {
            // One MULTI/EXEC so the entries and the version belong to the same instant.
            var transaction = db.CreateTransaction();
            var entries = transaction.HashGetAllAsync(_membersKey);
            var version = transaction.StringGetAsync(_versionKey);
            if (!await transaction.ExecuteAsync().ConfigureAwait(false))
            {
                throw new InvalidOperationException("an unconditional Redis transaction was not executed");
            }

            var members = new List<SiloEntry>();
            foreach (var field in await entries.ConfigureAwait(false))
            {
                try
                {
                    members.Add(SiloEntryFormat.Deserialize(field.Value!));
                }
                catch (FormatException e)
                {
                    // One unreadable entry (say, from a newer build) must not blind the whole cluster.
                    _logger.LogWarning(e, "Skipping membership entry {Field} in {Key}", field.Name.ToString(), MembersKey);
                }
            }

            var stored = await version.ConfigureAwait(false);
            return new MembershipSnapshot(stored.IsNull ? 0 : (long)stored, members);
        }, cancellationToken);

    public async Task<long> UpsertAsync(SiloEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var json = SiloEntryFormat.Serialize(entry);
        var version = await RunAsync("upsert silo " + entry.SiloId, async db =>
        {
            var transaction = db.CreateTransaction();
            _ = transaction.HashSetAsync(_membersKey, entry.SiloId, json);
            var incremented = transaction.StringIncrementAsync(_versionKey);
            if (!await transaction.ExecuteAsync().ConfigureAwait(false))
            {
                throw new InvalidOperationException("an unconditional Redis transaction was not executed");
            }

            return await incremented.ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await PublishAsync(version).ConfigureAwait(false);
        return version;
    }

    public Task<bool> HeartbeatAsync(string siloId, DateTimeOffset time, CancellationToken cancellationToken = default)
    {
        SiloEntry.ValidateSiloId(siloId);
        return RunAsync("heartbeat of silo " + siloId, async db =>
        {
            for (var attempt = 0; attempt < MaxOptimisticAttempts; attempt++)
            {
                var stored = await db.HashGetAsync(_membersKey, siloId).ConfigureAwait(false);
                if (stored.IsNull)
                {
                    return false;
                }

                var entry = SiloEntryFormat.Deserialize(stored!);
                if (entry.Status == SiloStatus.Dead)
                {
                    return false;
                }

                var transaction = db.CreateTransaction();
                transaction.AddCondition(Condition.HashEqual(_membersKey, siloId, stored));
                _ = transaction.HashSetAsync(_membersKey, siloId, SiloEntryFormat.Serialize(entry with { HeartbeatAt = time }));
                if (await transaction.ExecuteAsync().ConfigureAwait(false))
                {
                    return true;
                }

                await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
            }

            throw new MembershipUnavailableException($"heartbeat of silo {siloId} lost {MaxOptimisticAttempts} races in a row on {MembersKey}");
        }, cancellationToken);
    }

    public async Task<bool> RemoveAsync(string siloId, CancellationToken cancellationToken = default)
    {
        SiloEntry.ValidateSiloId(siloId);
        var version = await RunAsync("remove silo " + siloId, async db =>
        {
            var transaction = db.CreateTransaction();
            transaction.AddCondition(Condition.HashExists(_membersKey, siloId));
            _ = transaction.HashDeleteAsync(_membersKey, siloId);
            var incremented = transaction.StringIncrementAsync(_versionKey);
            return await transaction.ExecuteAsync().ConfigureAwait(false) ? await incremented.ConfigureAwait(false) : (long?)null;
        }, cancellationToken).ConfigureAwait(false);
        if (version is not { } committed)
        {
            return false;
        }

        await PublishAsync(committed).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> DeclareDeadAsync(string siloId, DateTimeOffset? staleBefore = null, CancellationToken cancellationToken = default)
    {
        SiloEntry.ValidateSiloId(siloId);
        var version = await RunAsync("declare silo " + siloId + " dead", async db =>
        {
            for (var attempt = 0; attempt < MaxOptimisticAttempts; attempt++)
            {
                var stored = await db.HashGetAsync(_membersKey, siloId).ConfigureAwait(false);
                if (stored.IsNull)
                {
                    return (long?)null;
                }

                var entry = SiloEntryFormat.Deserialize(stored!);
                if (entry.Status == SiloStatus.Dead || (staleBefore is { } limit && entry.HeartbeatAt >= limit))
                {
                    return null;
                }

                // The condition makes "still stale" and "mark dead" one atomic step.
                var transaction = db.CreateTransaction();
                transaction.AddCondition(Condition.HashEqual(_membersKey, siloId, stored));
                _ = transaction.HashSetAsync(_membersKey, siloId, SiloEntryFormat.Serialize(entry with { Status = SiloStatus.Dead }));
                var incremented = transaction.StringIncrementAsync(_versionKey);
                if (await transaction.ExecuteAsync().ConfigureAwait(false))
                {
                    return await incremented.ConfigureAwait(false);
                }

                await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
            }

            throw new MembershipUnavailableException($"declaring silo {siloId} dead lost {MaxOptimisticAttempts} races in a row on {MembersKey}");
        }, cancellationToken).ConfigureAwait(false);
        if (version is not { } committed)
        {
            return false;
        }

        await PublishAsync(committed).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// After a lost optimistic race: a random pause of up to 2^attempt ms (capped at 32 ms), so that many
    /// writers of one entry (a burst of heartbeats on a loaded machine) spread out instead of losing
    /// every retry to each other. Bounded: 16 attempts wait well under a second in all.
    /// </summary>
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(Random.Shared.Next(0, 1 << Math.Min(attempt + 1, 5)), cancellationToken);

    public void Dispose()
    {
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
        else
        {
            try
            {
                _redis.GetSubscriber().Unsubscribe(_changesChannel);
            }
            catch (RedisException)
            {
                // Not connected: nothing to undo on the server.
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await _redis.GetSubscriber().SubscribeAsync(_changesChannel, OnMessage).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            // The handler stays registered with the multiplexer, which subscribes again on reconnect.
            _logger.LogWarning(e, "Redis is unavailable: membership change notifications on {Channel} start when it is back", ChangesChannel);
        }
    }

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        if (!message.TryParse(out long version))
        {
            _logger.LogWarning("Ignoring a malformed membership notification on {Channel}: {Message}", ChangesChannel, message.ToString());
            return;
        }

        try
        {
            Changed?.Invoke(version);
        }
        catch (Exception e)
        {
            // A handler's bug must not take down the Redis client's callback thread.
            _logger.LogError(e, "A membership Changed handler threw");
        }
    }

    private async Task PublishAsync(long version)
    {
        // After the commit, outside MULTI: the new version is known only once INCR has run. A lost
        // publish costs peers one poll period, never a wrong view.
        try
        {
            await _redis.GetSubscriber().PublishAsync(_changesChannel, version).WaitAsync(_options.OperationTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            _logger.LogWarning(e, "Membership change {Version} committed but its notification was not published; peers will see it on their next poll", version);
        }
    }

    private async Task<T> RunAsync<T>(string operation, Func<IDatabase, Task<T>> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await action(_redis.GetDatabase()).WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new MembershipUnavailableException(
                $"could not {operation}: Redis at {_options.Configuration} (cluster '{_options.ClusterId}') is unavailable: {e.Message}", e);
        }
    }

    private static bool IsUnavailable(Exception e) => e switch
    {
        RedisConnectionException or TimeoutException => true,
        // The tasks of a transaction whose connection dropped mid-flight may end cancelled.
        TaskCanceledException => true,
        // Commands that meet a server still loading its data set or a read-only replica.
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal),
        _ => false,
    };
}
