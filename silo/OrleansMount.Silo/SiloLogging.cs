using OrleansMount.Silo.Monitoring;
using Serilog;
using Serilog.AspNetCore;
using Serilog.Events;
using Serilog.Filters;

namespace OrleansMount.Silo;

/// <summary>
/// The silo's Serilog pipeline. The logger is built from the options before the host exists (they come
/// from argv, not from the host's configuration), so the lines written while the host starts, and the
/// errors that stop it from starting, look like every other line; the host then logs through it
/// (<c>AddSerilog</c>), Microsoft.Extensions.Logging categories included.
/// </summary>
public static class SiloLogging
{
    /// <summary>Every line names the silo, so the logs of a cluster can be merged and still read.</summary>
    public const string LogTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SiloId} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>A request slower than this is logged at Warning (streamed responses excepted: they last as long as their job).</summary>
    public static readonly TimeSpan SlowRequest = TimeSpan.FromSeconds(1);

    /// <summary>The source of request-log events (Serilog.AspNetCore's middleware).</summary>
    private const string RequestLogSource = "Serilog.AspNetCore.RequestLoggingMiddleware";

    /// <summary>
    /// Console (text or JSON, all levels to stderr), every event carrying <c>SiloId</c>; ASP.NET Core's own
    /// categories from Warning up; warnings and errors also into <paramref name="errors"/>, except the
    /// request log's, which only repeat (by status) what the component that failed has already logged.
    /// </summary>
    public static Serilog.Core.Logger CreateLogger(SiloOptions options, RecentErrorLog errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var logging = new LoggerConfiguration()
            .MinimumLevel.Is(Enum.Parse<LogEventLevel>(options.LogLevel, ignoreCase: true))
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Orleans", LogEventLevel.Warning)
            // At start Orleans notes that server GC is off (on purpose, decision 0008) and its watchdog reports a
            // "participant check" late by the machine's uptime (../shared/PLATFORM.md): noise, not news.
            .MinimumLevel.Override("Orleans.Runtime.Silo", LogEventLevel.Error)
            .MinimumLevel.Override("Orleans.Runtime.Watchdog", LogEventLevel.Error)
            // Orleans places grains through a Polly pipeline whose telemetry logs two lines per placement at
            // Information (one pair per new chunk activation); its retries log at Warning and stay.
            .MinimumLevel.Override("Polly", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("SiloId", options.SiloId ?? throw new ArgumentException("the silo id is settled before logging starts", nameof(options)))
            .WriteTo.Logger(ring => ring.Filter.ByExcluding(Matching.FromSource(RequestLogSource)).WriteTo.Sink(errors), LogEventLevel.Warning);
        return (options.JsonLogs
                ? logging.WriteTo.Console(new Serilog.Formatting.Json.JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose)
                : logging.WriteTo.Console(outputTemplate: LogTemplate, standardErrorFromLevel: LogEventLevel.Verbose))
            .CreateLogger();
    }

    /// <summary>
    /// One event per request, at a level that keeps the log quiet under chunk traffic: failed (5xx or an
    /// exception) or slow requests at Warning, refused ones (4xx: stale views, changed objects, missing
    /// files, bad signatures, each already explained by the component that refused) at Debug, the rest
    /// at Verbose, so <c>--log-level Verbose</c> shows every request and nothing lower does.
    /// </summary>
    public static void ConfigureRequestLogging(RequestLoggingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.GetLevel = RequestLevel;
    }

    internal static LogEventLevel RequestLevel(HttpContext context, double elapsedMilliseconds, Exception? exception)
    {
        var status = context.Response.StatusCode;
        var streamed = context.Response.ContentType is { } type && type.StartsWith("application/x-ndjson", StringComparison.Ordinal);
        if (exception is not null || status >= StatusCodes.Status500InternalServerError || (!streamed && elapsedMilliseconds > SlowRequest.TotalMilliseconds))
        {
            return LogEventLevel.Warning;
        }

        return status >= StatusCodes.Status400BadRequest ? LogEventLevel.Debug : LogEventLevel.Verbose;
    }
}
