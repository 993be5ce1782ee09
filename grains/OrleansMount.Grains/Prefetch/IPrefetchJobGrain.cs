namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// One prefetch job (key: its id), wherever it was started: its request and last reported status, persisted
/// (Redis when clustered), so <c>prefetch --status</c> and <c>--cancel</c> work through any silo, and a job whose
/// coordinating silo stopped reporting (killed, restarted) is resumed by the silo that next asks about it.
/// The job itself runs in the coordinating silo's <c>PrefetchService</c>, which reports its status here every second.
/// Requests and statuses travel as the JSON of the API's records (<c>PrefetchRequest</c>, <c>PrefetchJobStatus</c>).
/// </summary>
[Alias("om.IPrefetchJobGrain")]
public interface IPrefetchJobGrain : IGrainWithStringKey
{
    /// <summary>Records a job just started by <paramref name="coordinator"/>.</summary>
    [Alias("create")]
    Task CreateAsync(string coordinator, string requestJson, string statusJson);

    /// <summary>The coordinator's progress report; answers true when a cancel was asked through another silo.</summary>
    [Alias("report")]
    Task<bool> ReportAsync(string coordinator, string statusJson);

    /// <summary>The job's last status (null: no such job). Resumes the job here if its coordinator went silent.</summary>
    [Alias("status")]
    Task<string?> GetStatusAsync();

    /// <summary>Asks the job to stop; its coordinator learns it at its next report. Null: no such job.</summary>
    [Alias("cancel")]
    Task<string?> CancelAsync();
}

/// <summary>A prefetch job's persisted record.</summary>
[GenerateSerializer, Alias("om.PrefetchJobRecord")]
public sealed class PrefetchJobRecord
{
    [Id(0)]
    public string? Coordinator { get; set; }

    [Id(1)]
    public string? RequestJson { get; set; }

    [Id(2)]
    public string? StatusJson { get; set; }

    [Id(3)]
    public bool CancelRequested { get; set; }

    [Id(4)]
    public DateTimeOffset ReportedAt { get; set; }

    [Id(5)]
    public bool Finished { get; set; }

    [Id(6)]
    public int Resumes { get; set; }
}

/// <summary>Runs prefetch jobs on this silo (the silo's <c>PrefetchService</c>): how a job grain resumes a job.</summary>
public interface IPrefetchRunner
{
    /// <summary>Starts the job again here under its id (chunks already cached are skipped); returns its first status as JSON.</summary>
    Task<string> ResumeAsync(string jobId, string requestJson, CancellationToken cancellationToken);
}
