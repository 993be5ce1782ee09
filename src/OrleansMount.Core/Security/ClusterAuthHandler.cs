namespace OrleansMount.Core.Security;

/// <summary>
/// Signs every outgoing request to a silo with the cluster secret (<see cref="ClusterSecret"/>). The body is
/// read into memory first (every signed request's body is small JSON, at most a prefetch selection of 64 MiB)
/// so that its SHA-256 can be signed and exactly those bytes sent; each call gets a fresh nonce.
/// </summary>
public sealed class ClusterAuthHandler(ClusterSecret secret, HttpMessageHandler inner, TimeProvider? time = null) : DelegatingHandler(inner)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The handler for a client: <paramref name="inner"/> itself without a secret, else wrapped to sign.</summary>
    public static HttpMessageHandler Wrap(ClusterSecret? secret, HttpMessageHandler inner) => secret is null ? inner : new ClusterAuthHandler(secret, inner);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new InvalidOperationException("a request without a URI cannot be signed");
        byte[] body = [];
        if (request.Content is { } content)
        {
            body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var buffered = new ByteArrayContent(body);
            foreach (var header in content.Headers)
            {
                buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            request.Content = buffered;
            content.Dispose();
        }

        request.Headers.Remove(ClusterSecret.HeaderName);
        request.Headers.Add(ClusterSecret.HeaderName, secret.Sign(request.Method.Method, uri.PathAndQuery, body, _time.GetUtcNow()));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
