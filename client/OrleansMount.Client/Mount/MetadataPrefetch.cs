using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Client.Mount;

/// <summary>
/// Metadata prefetch at mount: once the mount is up, the local silo ingests every range under the
/// mounted path (a metadata-only prefetch job on that silo alone), so a full walk of the tree after it
/// touches no catalog. Best effort: a failure is logged and the mount fetches ranges on demand as before.
/// </summary>
public static class MetadataPrefetch
{
    public static async Task StartAsync(SiloClient silo, string snapshot, string snapshotId, string rootPath, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(silo);
        try
        {
            var job = await silo.StartPrefetchAsync(new PrefetchRequest(snapshot, [rootPath], MetadataOnly: true, LocalOnly: true, SnapshotId: snapshotId)).ConfigureAwait(false);
            logger.LogInformation("metadata prefetch of '{Path}': job {Job}, {Ranges} ranges", rootPath, job.Id, job.RangesTotal);
        }
        catch (Exception e)
        {
            logger.LogWarning("metadata prefetch of '{Path}' could not start: {Message}; metadata is fetched on demand", rootPath, e.Message);
        }
    }
}
