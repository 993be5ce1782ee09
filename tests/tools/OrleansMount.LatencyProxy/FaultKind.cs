namespace OrleansMount.LatencyProxy;

/// <summary>
/// What a matching <see cref="FaultRule"/> does to a request. A new mode is a new member here, its
/// name in <see cref="FaultRule.Parse"/> and its case in <see cref="ProxyHandler"/>.
/// </summary>
public enum FaultKind
{
    /// <summary>Answers 500 InternalError (S3 XML) without asking the target.</summary>
    InternalError,

    /// <summary>Answers 503 SlowDown (S3 XML) without asking the target.</summary>
    SlowDown,

    /// <summary>Closes the connection before any response byte (the client sees a reset or an early end).</summary>
    Reset,

    /// <summary>Forwards the response headers and half of the body, then closes the connection.</summary>
    ResetMidBody,

    /// <summary>Forwards the response headers, then sends nothing for the stall time (or until the client gives up), then closes.</summary>
    Stall,
}
