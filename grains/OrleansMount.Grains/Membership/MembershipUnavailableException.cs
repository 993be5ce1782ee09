namespace OrleansMount.Grains.Membership;

/// <summary>
/// The membership table cannot be reached right now (Redis down, unreachable or too slow). The
/// operation did not happen, or its outcome is unknown; callers keep their last view and retry.
/// </summary>
public sealed class MembershipUnavailableException : Exception
{
    public MembershipUnavailableException()
        : this("the membership table is unavailable")
    {
    }

    public MembershipUnavailableException(string message)
        : base(message)
    {
    }

    public MembershipUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
