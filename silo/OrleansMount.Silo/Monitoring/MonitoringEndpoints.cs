using Prometheus;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// The read-only operator views (docs/api.md "Dashboard and metrics"): the dashboard page at <c>/</c>,
/// <c>GET /api/v1/node</c>, <c>GET /api/v1/cluster</c> and <c>GET /metrics</c>. None changes state.
/// </summary>
public static class MonitoringEndpoints
{
    /// <summary>The page may load nothing but itself and its own JSON: no internet at run time.</summary>
    private const string ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(MonitoringEndpoints).Assembly.GetManifestResourceStream("OrleansMount.Silo.Dashboard.html")
            ?? throw new InvalidOperationException("the dashboard page is not embedded in the silo assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void Map(WebApplication app, NodeReporter reporter, SiloMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(metrics);
        app.MapGet("/", (HttpContext context) =>
        {
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.CacheControl = "no-cache";
            return Results.Bytes(Page.Value, "text/html; charset=utf-8");
        });
        app.MapGet("/metrics", async (CancellationToken ct) =>
        {
            // Text format 0.0.4 only (no OpenMetrics negotiation), buffered: a few KB, sent whole with its length.
            using var text = new MemoryStream();
            await metrics.Registry.CollectAndExportAsTextAsync(text, ct).ConfigureAwait(false);
            return Results.Bytes(text.ToArray(), PrometheusConstants.TextContentTypeWithVersionAndEncoding);
        });
        var api = app.MapGroup("/api/v1");
        api.MapGet("/node", () => Results.Json(reporter.Node()));
        api.MapGet("/cluster", async (CancellationToken ct) => Results.Json(await reporter.ClusterAsync(ct).ConfigureAwait(false)));
    }
}
