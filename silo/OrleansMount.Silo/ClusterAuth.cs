using Microsoft.AspNetCore.Http.Features;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Protocol;
using OrleansMount.Grains.Runtime;

namespace OrleansMount.Silo;

/// <summary>
/// With a cluster secret, every request to the silo's API must carry a valid signature
/// (<see cref="ClusterSecret"/>), on the Unix socket and on TCP alike, except the read-only operator
/// views: the dashboard and <c>/metrics</c> (any path outside <c>/api/</c>, GET only) and
/// <c>GET /api/v1/{info,stats,members,node,cluster}</c>. The verifier (<see cref="RequestVerifier"/>) checks the
/// time, the HMAC, the body's digest (the body is buffered and rewound for the endpoint) and that the signature
/// was not used before. Rejected requests answer 401 with what was wrong, and are counted.
/// </summary>
public static class ClusterAuth
{
    private static readonly HashSet<string> PublicApi = new(StringComparer.Ordinal)
    {
        "/api/v1/info", "/api/v1/stats", "/api/v1/members", "/api/v1/node", "/api/v1/cluster",
    };

    /// <summary>True for the read-only views anyone who reaches the listener may see.</summary>
    public static bool IsPublic(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path.Value ?? "/";
        return HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            ? !path.StartsWith("/api/", StringComparison.Ordinal) || PublicApi.Contains(path.TrimEnd('/'))
            : false;
    }

    /// <summary>Bodies up to this size are buffered in memory for the digest; larger ones (prefetch selections) in a temp file.</summary>
    private const int BodyMemoryThreshold = 1024 * 1024;

    public static void Use(WebApplication app, ClusterSecret? secret, TimeProvider time, NodeCounters counters)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(counters);
        if (secret is null)
        {
            return;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterAuth).FullName!);
        var verifier = new RequestVerifier(secret, time);
        var forgottenReported = 0L;
        var forgottenWarnedAt = time.GetTimestamp() - (long)(time.TimestampFrequency * 60);
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (IsPublic(request))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            SignatureCheck check;
            try
            {
                // The digest needs the whole body before the endpoint reads it: buffer it, then rewind.
                request.EnableBuffering(BodyMemoryThreshold);
                check = await verifier.VerifyAsync(request.Headers[ClusterSecret.HeaderName], request.Method, SignedTarget(context), request.Body, context.RequestAborted).ConfigureAwait(false);
                request.Body.Position = 0;
            }
            catch (BadHttpRequestException e)
            {
                // A body over the endpoint's limit (413) or cut short: the answer the endpoint would have given.
                await Results.Json(new SiloError($"the request body could not be read: {e.Message}", SiloError.BadRequest), statusCode: e.StatusCode).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            // At most one warning a minute while the replay window is full (it then forgets a second at a time).
            var forgotten = verifier.Nonces.Forgotten;
            var reported = Interlocked.Read(ref forgottenReported);
            var nowTicks = time.GetTimestamp();
            if (forgotten > reported && time.GetElapsedTime(Interlocked.Read(ref forgottenWarnedAt), nowTicks) >= TimeSpan.FromMinutes(1)
                && Interlocked.CompareExchange(ref forgottenReported, forgotten, reported) == reported)
            {
                Interlocked.Exchange(ref forgottenWarnedAt, nowTicks);
                logger.LogWarning("the replay window is full ({Capacity} signatures in {Window} s): {Forgotten} signatures forgotten early so far; older signatures are refused as stale until the rate drops", verifier.Nonces.Capacity, ClusterSecret.MaxSkew.TotalSeconds, forgotten);
            }

            if (check.IsValid)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            counters.AuthRejected();
            logger.LogWarning("rejected {Method} {Path} from {Remote}: {Why} (callers need the cluster secret)", request.Method, request.Path.Value, context.Connection.RemoteIpAddress?.ToString() ?? "the unix socket", check.Reason);
            var hint = check.Fault is SignatureFault.Missing or SignatureFault.BadSignature or SignatureFault.Malformed
                ? $": give the caller the same secret ({ClusterSecret.FileEnvironmentVariable} or {ClusterSecret.EnvironmentVariable}) as the silo"
                : string.Empty;
            await Results.Json(
                new SiloError($"this silo requires the cluster secret and the request had {check.Reason}{hint}", SiloError.Unauthorized),
                statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context).ConfigureAwait(false);
        });
    }

    /// <summary>The path and query exactly as the caller sent (and signed) them, not as decoded by routing.</summary>
    private static string SignedTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw[0] == '/'
            ? raw
            : context.Request.Path.Value + context.Request.QueryString.Value;
}
