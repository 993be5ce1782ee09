namespace OrleansMount.Grains.Membership;

/// <summary>
/// One silo's row in the membership table. Immutable: every change is a new entry. The times come
/// from the clock of the silo that wrote them (see README.md on clock skew).
/// </summary>
/// <param name="SiloId">Stable identity of the silo: non-empty, no whitespace or control characters.</param>
/// <param name="Address">Where peers reach it: an absolute <c>http://host:port</c> URI.</param>
/// <param name="Status">Its life-cycle state.</param>
/// <param name="CapacityBytes">Cache capacity it offers (the placement weight); zero or more.</param>
/// <param name="StartedAt">When this incarnation started.</param>
/// <param name="HeartbeatAt">When it last said it was alive.</param>
/// <param name="Version">The software version it runs (informational).</param>
public sealed record SiloEntry(
    string SiloId,
    Uri Address,
    SiloStatus Status,
    long CapacityBytes,
    DateTimeOffset StartedAt,
    DateTimeOffset HeartbeatAt,
    string Version)
{
    // Validated in the constructor and in every `with`, so no invalid entry can exist.
    public string SiloId { get; init => field = ValidateSiloId(value); } = ValidateSiloId(SiloId);

    public Uri Address { get; init => field = ValidateAddress(value); } = ValidateAddress(Address);

    public SiloStatus Status { get; init => field = ValidateStatus(value); } = ValidateStatus(Status);

    public long CapacityBytes { get; init => field = ValidateCapacity(value); } = ValidateCapacity(CapacityBytes);

    public string Version { get; init => field = value ?? throw new ArgumentNullException(nameof(Version)); } = Version ?? throw new ArgumentNullException(nameof(Version));

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem if <paramref name="siloId"/> cannot be a silo id.</summary>
    public static string ValidateSiloId(string siloId)
    {
        ArgumentNullException.ThrowIfNull(siloId);
        if (siloId.Length == 0 || siloId.Length > 256)
        {
            throw new ArgumentException($"a silo id must be 1 to 256 characters, got {siloId.Length}", nameof(siloId));
        }

        foreach (var c in siloId)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                throw new ArgumentException($"silo id '{siloId}' contains whitespace or a control character", nameof(siloId));
            }
        }

        return siloId;
    }

    private static SiloStatus ValidateStatus(SiloStatus status) =>
        Enum.IsDefined(status) ? status : throw new ArgumentOutOfRangeException(nameof(status), status, "not a SiloStatus");

    private static long ValidateCapacity(long capacityBytes) =>
        capacityBytes >= 0 ? capacityBytes : throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "a silo's capacity cannot be negative");

    private static Uri ValidateAddress(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"a silo address must be an absolute http(s)://host:port URI, got '{address}'", nameof(address));
        }

        return address;
    }
}
