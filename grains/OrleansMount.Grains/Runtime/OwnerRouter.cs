using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Membership;

namespace OrleansMount.Grains.Runtime;

/// <summary>Who owns a placement key as this silo sees it: null when it is this silo (or there is no cluster).</summary>
public readonly record struct OwnerLookup(SiloEntry? Owner, long ViewVersion);

/// <summary>
/// Routes one call for a grain key: to the local activation when this silo owns the key, else to
/// the owner silo. The rules, the same for chunks and ranges:
/// <list type="bullet">
/// <item>an owner that answers "your view is stale" makes this silo refresh its membership view and route once more;</item>
/// <item>an owner that does not deliver (error, no answer, stale twice) costs a fallback, never a failed call, and is counted;</item>
/// <item>an owner that does not answer at all is suspected for <see cref="OwnerSuspects.Duration"/>: calls for its keys
/// go to the fallback at once instead of each waiting for a timeout.</item>
/// </list>
/// </summary>
public sealed class OwnerRouter(Func<ulong, OwnerLookup> ownerOf, Func<CancellationToken, Task> refreshView, OwnerSuspects suspects, NodeCounters counters, ILogger logger)
{
    public OwnerSuspects Suspects => suspects;

    /// <param name="key">The grain's placement key.</param>
    /// <param name="what">What is fetched, for logs ("chunk 3 of s3://b/k").</param>
    /// <param name="local">Serves the call here: this silo owns the key.</param>
    /// <param name="remote">Calls the owner (with this silo's view version); throws <see cref="PeerException"/> when it does not deliver.</param>
    /// <param name="fallback">Serves the call without the owner (from the object store or catalog).</param>
    public async Task<T> RouteAsync<T>(ulong key, string what, Func<Task<T>> local, Func<SiloEntry, long, Task<T>> remote, Func<Task<T>> fallback)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(fallback);
        for (var attempt = 0; ; attempt++)
        {
            var (owner, version) = ownerOf(key);
            if (owner is null)
            {
                return await local().ConfigureAwait(false);
            }

            if (suspects.IsSuspect(owner.SiloId))
            {
                counters.OwnerFallback(suspected: true);
                return await fallback().ConfigureAwait(false);
            }

            try
            {
                return await remote(owner, version).ConfigureAwait(false);
            }
            catch (StaleViewException e) when (attempt == 0)
            {
                counters.StaleViewRefreshed();
                logger.LogInformation("{Message}: refreshing the membership view and routing {What} again", e.Message, what);
                await refreshView(CancellationToken.None).ConfigureAwait(false);
            }
            catch (PeerException e)
            {
                counters.OwnerFallback(suspected: false);
                if (e.Unreachable && suspects.Mark(owner.SiloId))
                {
                    logger.LogWarning("owner {Owner} ({Address}) does not answer; suspecting it for {Seconds:0} s: its keys are read from the object store meanwhile", owner.SiloId, owner.Address, suspects.Duration.TotalSeconds);
                }

                logger.LogWarning("owner {Owner} ({Address}) did not deliver {What}: {Message}; reading it from the object store", owner.SiloId, owner.Address, what, e.Message);
                return await fallback().ConfigureAwait(false);
            }
        }
    }
}
