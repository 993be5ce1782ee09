namespace OrleansMount.Core.Security;

/// <summary>Signs every outgoing request to a silo with the cluster secret (<see cref="ClusterSecret"/>).</summary>
public sealed class ClusterAuthHandler(ClusterSecret secret, HttpMessageHandler inner, TimeProvider? time = null) : DelegatingHandler(inner)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The handler for a client: <paramref name="inner"/> itself without a secret, else wrapped to sign.</summary>
    public static HttpMessageHandler Wrap(ClusterSecret? secret, HttpMessageHandler inner) => secret is null ? inner : new ClusterAuthHandler(secret, inner);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new InvalidOperationException("a request without a URI cannot be signed");
        request.Headers.Remove(ClusterSecret.HeaderName);
        request.Headers.Add(ClusterSecret.HeaderName, secret.Sign(request.Method.Method, uri.PathAndQuery, _time.GetUtcNow()));
        return base.SendAsync(request, cancellationToken);
    }
}
