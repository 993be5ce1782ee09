namespace OrleansMount.Client.Mount;

/// <summary>
/// Whether an opened directory's readdirplus replies carry its files' attributes (decision 0031). Names only at first:
/// the kernel then lists a file without building an inode and a dentry for it, which was most of a first
/// <c>find</c> or an <c>ImageFolder</c> index over millions of files. A stat walk after such a listing (<c>ls -l</c>,
/// <c>du</c>, <c>os.scandir</c> + <c>stat</c>) makes a lookup per file instead; once <see cref="SwitchLookups"/>
/// lookups followed names-only listings, directories are listed with attributes, so the kernel answers the rest of the
/// walk's stats itself. Every <see cref="ProbeEvery"/>th directory opened is still listed names only, and when no
/// lookup followed a names-only listing since the probe before, the walk is a walk of names again. A probe in a stat
/// walk costs a lookup upcall per file (~45 µs each here); a directory listed with attributes that nobody stats costs
/// the kernel's inodes (~5 µs per file): so probes are rare.
/// </summary>
internal sealed class ListingAttributes
{
    /// <summary>Lookups of files listed names only that switch listings to attributes.</summary>
    public const int SwitchLookups = 16;

    /// <summary>With attributes, one directory in this many is listed names only, to see whether lookups still follow.</summary>
    public const int ProbeEvery = 64;

    private readonly Lock _lock = new();
    private bool _attributes;
    private long _lookups; // of children of directories listed names only, since the last switch or probe
    private long _opened; // directories opened since the switch to attributes
    private ulong _probe; // the directory opened as the last probe, until a lookup shows a stat walk in it
    private long _switches;

    /// <summary>Whether directories opened now are listed with attributes (the last probe aside).</summary>
    public bool WithAttributes
    {
        get
        {
            lock (_lock)
            {
                return _attributes;
            }
        }
    }

    /// <summary>Switches either way so far (for logs and tests).</summary>
    public long Switches => Interlocked.Read(ref _switches);

    /// <summary>Whether a readdirplus reply for directory <paramref name="ino"/> sends its files names only now (a listing switches as the mode does).</summary>
    public bool NamesOnly(ulong ino)
    {
        lock (_lock)
        {
            return !_attributes || ino == _probe;
        }
    }

    /// <summary>At opendir of directory <paramref name="ino"/>: whether its listing carries its files' attributes.</summary>
    public bool Open(ulong ino)
    {
        lock (_lock)
        {
            if (!_attributes)
            {
                return false;
            }

            if (++_opened % ProbeEvery != 0)
            {
                return true;
            }

            // A probe. No lookup followed any names-only listing since the last one: nobody stats what is listed.
            if (_lookups == 0)
            {
                _attributes = false;
                Interlocked.Increment(ref _switches);
            }

            _lookups = 0;
            _probe = _attributes ? ino : 0;
            return false;
        }
    }

    /// <summary>A lookup of a child of directory <paramref name="parent"/>, which the kernel was sent names only.</summary>
    public void LookedUp(ulong parent)
    {
        lock (_lock)
        {
            _lookups++;
            if (parent == _probe)
            {
                _probe = 0; // a stat walk: the rest of the probe's listing carries attributes
            }

            if (!_attributes && _lookups >= SwitchLookups)
            {
                _attributes = true;
                _lookups = _opened = 0;
                Interlocked.Increment(ref _switches);
            }
        }
    }
}
