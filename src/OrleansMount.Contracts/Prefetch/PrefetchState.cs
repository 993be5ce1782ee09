namespace OrleansMount.Grains.Prefetch;

/// <summary>The states of a prefetch job (<see cref="PrefetchJobStatus.State"/>).</summary>
public static class PrefetchState
{
    public const string Running = "running";

    /// <summary>Cancel asked; the owners are stopping.</summary>
    public const string Cancelling = "cancelling";

    public const string Done = "done";

    /// <summary>Finished, but some chunks or ranges could not be fetched (<see cref="PrefetchJobStatus.Failures"/>).</summary>
    public const string Failed = "failed";

    public const string Cancelled = "cancelled";

    public static bool IsFinished(string state) => state is Done or Failed or Cancelled;
}
