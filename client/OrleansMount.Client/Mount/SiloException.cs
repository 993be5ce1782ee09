using System.Net;
using OrleansMount.Core;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>A silo call that failed: unreachable, or an error the silo reported (<see cref="Kind"/> from <see cref="SiloError"/>).</summary>
public sealed class SiloException : OrleansMountException
{
    public SiloException(string message, string kind, bool unreachable = false, Exception? inner = null, HttpStatusCode? status = null)
        : base(message, kind == SiloError.SnapshotNotFound ? 4 : 3, inner)
    {
        Kind = kind;
        Unreachable = unreachable;
        Status = status;
    }

    public string Kind { get; }

    public bool Unreachable { get; }

    public HttpStatusCode? Status { get; }
}
