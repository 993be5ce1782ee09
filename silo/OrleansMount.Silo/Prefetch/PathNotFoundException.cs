using OrleansMount.Core;

namespace OrleansMount.Silo.Prefetch;

/// <summary>A path of a prefetch selection that is neither a file nor a directory of the snapshot (404 not-found).</summary>
public sealed class PathNotFoundException(string snapshot, string path)
    : OrleansMountException($"no file or directory '{path}' in snapshot '{snapshot}'", 4);
