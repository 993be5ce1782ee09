using OrleansMount.Core.Security;
using OrleansMount.Grains.Protocol;
using OrleansMount.Grains.Runtime;

namespace OrleansMount.Silo;

/// <summary>
/// With a cluster secret, every request to the silo's API must carry a valid signature
/// (<see cref="ClusterSecret"/>), on the Unix socket and on TCP alike, except the read-only operator
/// views: the dashboard and <c>/metrics</c> (any path outside <c>/api/</c>, GET only) and
/// <c>GET /api/v1/{info,stats,members,node,cluster}</c>. Rejected requests answer 401 and are counted.
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

    public static void Use(WebApplication app, ClusterSecret? secret, TimeProvider time, NodeCounters counters)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (secret is null)
        {
            return;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterAuth).FullName!);
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (IsPublic(request) || secret.Verify(request.Headers[ClusterSecret.HeaderName], request.Method, request.Path.Value + request.QueryString.Value, time.GetUtcNow()))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            counters.AuthRejected();
            var why = request.Headers.ContainsKey(ClusterSecret.HeaderName) ? "a wrong or expired signature" : "no signature";
            logger.LogWarning("rejected {Method} {Path} from {Remote}: {Why} (callers need the cluster secret)", request.Method, request.Path.Value, context.Connection.RemoteIpAddress?.ToString() ?? "the unix socket", why);
            await Results.Json(
                new SiloError($"this silo requires the cluster secret and the request had {why}: give the caller the same secret ({ClusterSecret.FileEnvironmentVariable} or {ClusterSecret.EnvironmentVariable}) as the silo", SiloError.Unauthorized),
                statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context).ConfigureAwait(false);
        });
    }
}
