using OrleansMount.Core;

namespace OrleansMount.Silo;

/// <summary>A mount pinned one import of a snapshot name; the name now points at another.</summary>
public sealed class SnapshotReplacedException(string name, string expected, string actual)
    : OrleansMountException($"snapshot '{name}' was replaced (mounted {expected}, now {actual}) and this silo no longer has the mounted one; remount to read the new import");
