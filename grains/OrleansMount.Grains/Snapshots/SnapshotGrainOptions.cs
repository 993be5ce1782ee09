namespace OrleansMount.Grains.Snapshots;

/// <summary>How long a <see cref="SnapshotGrain"/> answers a record from memory before it reads the catalog again.</summary>
public sealed class SnapshotGrainOptions
{
    /// <summary>
    /// The longest a new mount may be shown the import a name pointed at before it was re-imported. Short, since a
    /// read of the record is two small catalog requests; long enough that many mounts starting together read it once.
    /// </summary>
    public TimeSpan RefreshAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock <see cref="RefreshAfter"/> is measured by (tests replace it).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
}
