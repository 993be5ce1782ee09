using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using OrleansMount.Grains.Cluster;

namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// The record of one prefetch job (<see cref="IPrefetchJobGrain"/>). Activated on the silo that asks (prefer local),
/// its state in the "prefetch" grain storage. A running job whose coordinator has not reported for
/// <see cref="SilentAfter"/> is resumed on this silo when someone asks for its status.
/// </summary>
[PreferLocalPlacement]
public sealed class PrefetchJobGrain(
    [PersistentState("job", PrefetchJobGrain.StorageName)] IPersistentState<PrefetchJobRecord> record,
    IPrefetchRunner runner,
    ClusterView view,
    ILogger<PrefetchJobGrain> logger) : Grain, IPrefetchJobGrain
{
    /// <summary>The grain storage the silo registers for job records (Redis when clustered, memory alone).</summary>
    public const string StorageName = "prefetch";

    /// <summary>How long a running job's coordinator may stay silent before another silo resumes the job.</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task CreateAsync(string coordinator, string requestJson, string statusJson)
    {
        record.State = new PrefetchJobRecord { Coordinator = coordinator, RequestJson = requestJson, StatusJson = statusJson, ReportedAt = DateTimeOffset.UtcNow };
        await record.WriteStateAsync().ConfigureAwait(true);
    }

    public async Task<bool> ReportAsync(string coordinator, string statusJson)
    {
        var state = record.State;
        var finished = IsFinished(statusJson);
        // A report from a coordinator that lost the job to a resumer elsewhere is ignored (it will stop on its own).
        if (state.Coordinator is { } current && current != coordinator && !state.Finished)
        {
            return true;
        }

        var changed = state.Finished != finished || state.StatusJson is null || DateTimeOffset.UtcNow - state.ReportedAt > TimeSpan.FromSeconds(5) || finished;
        state.Coordinator = coordinator;
        state.StatusJson = statusJson;
        state.ReportedAt = DateTimeOffset.UtcNow;
        state.Finished = finished;
        if (changed)
        {
            // Persisted every few seconds and at the end (not every report): a resumed job restarts from the cache anyway.
            await record.WriteStateAsync().ConfigureAwait(true);
        }

        return state.CancelRequested;
    }

    public async Task<string?> GetStatusAsync()
    {
        var state = record.State;
        if (state.RequestJson is null)
        {
            return null;
        }

        if (!state.Finished && !state.CancelRequested && DateTimeOffset.UtcNow - state.ReportedAt > SilentAfter)
        {
            await ResumeHereAsync(state).ConfigureAwait(true);
        }

        return record.State.StatusJson;
    }

    public async Task<string?> CancelAsync()
    {
        var state = record.State;
        if (state.RequestJson is null)
        {
            return null;
        }

        if (!state.Finished)
        {
            state.CancelRequested = true;
            if (state.StatusJson is { } json && JsonSerializer.Deserialize<PrefetchJobStatus>(json, Json) is { } status)
            {
                state.StatusJson = JsonSerializer.Serialize(status with { State = PrefetchState.Cancelling }, Json);
            }

            await record.WriteStateAsync().ConfigureAwait(true);
        }

        return state.StatusJson;
    }

    private async Task ResumeHereAsync(PrefetchJobRecord state)
    {
        var id = this.GetPrimaryKeyString();
        logger.LogWarning("prefetch job {Id}: its coordinator {Coordinator} has not reported since {ReportedAt:O}; resuming it on {Silo}", id, state.Coordinator, state.ReportedAt, view.SiloId);
        state.Coordinator = view.SiloId;
        state.ReportedAt = DateTimeOffset.UtcNow;
        state.Resumes++;
        await record.WriteStateAsync().ConfigureAwait(true);
        state.StatusJson = await runner.ResumeAsync(id, state.RequestJson!, CancellationToken.None).ConfigureAwait(true);
    }

    private static bool IsFinished(string statusJson) =>
        JsonSerializer.Deserialize<PrefetchJobStatus>(statusJson, Json) is { } status && PrefetchState.IsFinished(status.State);
}
