using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OrleansMount.Grains.Protocol;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// A Serilog sink keeping the newest warnings and errors in memory (a ring of <see cref="Capacity"/>),
/// each classified by kind, and a count per kind since start. The dashboard's "recent errors" and
/// <c>orleansmount_log_errors_total</c> read it; nothing is written anywhere else.
/// </summary>
public sealed class RecentErrorLog : ILogEventSink
{
    public const int Capacity = 100;
    private const int MaxMessageLength = 600;

    private readonly Lock _lock = new();
    private readonly Queue<RecentError> _recent = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _total;

    /// <summary>Warnings and errors seen since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Count per kind since start (kinds as in <see cref="RecentError.Kind"/>).</summary>
    public IReadOnlyDictionary<string, long> CountsByKind => _counts;

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        if (logEvent.Level < LogEventLevel.Warning)
        {
            return;
        }

        var source = logEvent.Properties.TryGetValue("SourceContext", out var context) && context is ScalarValue { Value: string name }
            ? name[(name.LastIndexOf('.') + 1)..]
            : "silo";
        var message = Render(logEvent);
        var error = new RecentError(logEvent.Timestamp.ToUniversalTime(), Classify(source, message, logEvent.Level), logEvent.Level.ToString(), source, message);
        _counts.AddOrUpdate(error.Kind, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
        lock (_lock)
        {
            _recent.Enqueue(error);
            while (_recent.Count > Capacity)
            {
                _recent.Dequeue();
            }
        }
    }

    /// <summary>The newest <paramref name="count"/> entries, newest first.</summary>
    public IReadOnlyList<RecentError> Newest(int count)
    {
        lock (_lock)
        {
            return [.. _recent.Reverse().Take(count)];
        }
    }

    /// <summary>What an operator would call the event: the read-path failures the dashboard singles out, else its level.</summary>
    internal static string Classify(string source, string message, LogEventLevel level)
    {
        if (message.Contains("CRC32C", StringComparison.Ordinal) || message.Contains("corrupt", StringComparison.OrdinalIgnoreCase))
        {
            return "checksum";
        }

        return source switch
        {
            "SiloNode" => "fallback", // its only warnings: an owner or grain did not deliver, read elsewhere
            "ChunkFill" or "RangeGrain" => "fill",
            "ClusterAuth" => "auth",
            "PrefetchService" or "PrefetchWorker" or "ReadaheadService" => message.Contains("did not deliver", StringComparison.Ordinal) ? "fallback" : "prefetch",
            _ => level >= LogEventLevel.Error ? "error" : "warning",
        };
    }

    /// <summary>The message with string values unquoted (Serilog's own rendering quotes them), plus the exception's message.</summary>
    private static string Render(LogEvent logEvent)
    {
        var text = new StringBuilder();
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value))
            {
                text.Append(value is ScalarValue { Value: string s } ? s : value.ToString(null, CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(token.ToString());
            }
        }

        if (logEvent.Exception is { } exception)
        {
            text.Append(" (").Append(exception.GetType().Name).Append(": ").Append(exception.Message).Append(')');
        }

        return text.Length > MaxMessageLength ? text.ToString(0, MaxMessageLength) + "…" : text.ToString();
    }
}
