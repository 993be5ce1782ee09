namespace OrleansMount.Grains.Chunks;

/// <summary>
/// A mount whose readers open files in key order (a walk in name order: <c>cp -r</c>, <c>tar</c>, a sorted index) asks
/// its silo to make the first chunk of each of the next <paramref name="Files"/> files after <paramref name="After"/>
/// present, below <paramref name="Root"/> (the mounted path; "" for the whole snapshot). Chunk size is the silo's.
/// </summary>
public sealed record FileReadaheadRequest(string Snapshot, string SnapshotId, string Root, string After, int Files)
{
    /// <summary>The most files one request may name (<c>mount --readahead-files</c> is bounded by it).</summary>
    public const int MaxFiles = 1_000;
}

/// <summary>
/// What the silo took: <paramref name="Covered"/> files in key order after the request's <c>After</c> (their first chunk
/// started, already on the node or already coming, or empty files), of which <paramref name="Started"/> chunks it started
/// filling; <paramref name="Last"/> and <paramref name="LastIno"/> name the last file covered (null when none), so the
/// mount asks after it next. It stops at the first file over the node's readahead bound, so nothing is skipped.
/// <paramref name="End"/>: no file follows below the root. <paramref name="Files"/>: the covered files as a compact listing
/// sends them, each named by its snapshot path, so the mount can answer their lookups without asking again.
/// </summary>
public sealed record FileReadaheadAnswer(int Covered, int Started, string? Last, ulong LastIno, bool End, IReadOnlyList<Protocol.ListingItem>? Files = null);
