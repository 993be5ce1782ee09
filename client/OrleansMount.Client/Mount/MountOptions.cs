namespace OrleansMount.Client.Mount;

/// <summary>How a mount presents its snapshot.</summary>
public sealed record MountOptions
{
    public required string SnapshotName { get; init; }

    /// <summary>The snapshot's source (e.g. <c>s3://bucket/prefix/</c>): a file's address is this plus its path unless the listing says otherwise.</summary>
    public string SourceAddress { get; init; } = "";

    /// <summary>The sub-directory of the snapshot shown at the mountpoint ("" for all of it).</summary>
    public string RootPath { get; init; } = "";

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>Permission bits of files (default 0444); directories get these plus x where r is set.</summary>
    public uint FileMode { get; init; } = Convert.ToUInt32("444", 8);

    /// <summary>Seconds the kernel may cache entries and attributes: the snapshot never changes, so long.</summary>
    public double CacheTimeoutSeconds { get; init; } = 24 * 3600;

    /// <summary>Chunks fetched ahead of a sequential reader, per open file; 0 turns readahead off.</summary>
    public int ReadaheadChunks { get; init; } = 16;

    /// <summary>Files whose first chunk is fetched ahead of readers opening files in key order (<see cref="FileReadahead"/>); 0 turns it off.</summary>
    public int ReadaheadFiles { get; init; } = 32;

    /// <summary>Chunk files kept open behind a reader's current chunk (cheap backward seeks, and readable even if evicted).</summary>
    public int ReadaheadBackChunks { get; init; } = 2;

    /// <summary>
    /// Bytes of chunks streamed from the silo while it fills them (<see cref="ChunkStreams"/>, decision 0035;
    /// <c>--stream-memory</c>); 0: off, every cold read waits for the chunk file.
    /// </summary>
    public long StreamMemory { get; init; } = 64L << 20;

    /// <summary>How long a chunk's stream may take before it counts as cut (the read then asks the silo again).</summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Answer getxattr/listxattr (<c>--xattrs</c>). Off: both answer ENOSYS, which the kernel remembers for the
    /// mount's life, so the xattr probes of <c>ls -l</c> (security.selinux, POSIX ACLs) cost no upcall per file.
    /// </summary>
    public bool ExtendedAttributes { get; init; }

    /// <summary>Fetch the ranges under <see cref="RootPath"/> into the silo in the background once mounted.</summary>
    public bool MetadataPrefetch { get; init; } = true;

    /// <summary>Prefetch the mounted path once readers are evidently walking it (<see cref="Mount.WarmUp"/>; <c>--no-warm-up</c> turns it off).</summary>
    public bool WarmUp { get; init; } = true;

    public uint DirectoryMode
    {
        get
        {
            var mode = FileMode;
            if ((mode & Convert.ToUInt32("400", 8)) != 0)
            {
                mode |= Convert.ToUInt32("100", 8);
            }

            if ((mode & Convert.ToUInt32("040", 8)) != 0)
            {
                mode |= Convert.ToUInt32("010", 8);
            }

            if ((mode & Convert.ToUInt32("004", 8)) != 0)
            {
                mode |= Convert.ToUInt32("001", 8);
            }

            return mode;
        }
    }
}
