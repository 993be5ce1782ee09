using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// Writes the instruments of one <see cref="System.Diagnostics.Metrics.Meter"/> in the Prometheus text
/// exposition format 0.0.4 (<c># HELP</c>, <c># TYPE</c>, <c>name{label="value"} number</c>), collected
/// with a <see cref="MeterListener"/> on each scrape. Observable counters become <c>counter</c>,
/// observable gauges and up-down counters <c>gauge</c>; synchronous <see cref="Counter{T}"/> and
/// <see cref="UpDownCounter{T}"/> are summed since start. The meter's tags (the silo id) label every
/// series. No Prometheus client library restores here (../shared/PLATFORM.md), so this is the exporter.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<Instrument, Dictionary<string, double>> _observed = [];
    private readonly Dictionary<Instrument, Dictionary<string, double>> _summed = [];
    private readonly List<Instrument> _instruments = [];

    public PrometheusExporter(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                lock (_lock)
                {
                    _instruments.Add(instrument);
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Observes every instrument now and returns the exposition text.</summary>
    public string Scrape()
    {
        lock (_lock)
        {
            _observed.Clear();
            _listener.RecordObservableInstruments();
            var meterLabels = Labels(_meter.Tags ?? []);
            var text = new StringBuilder(4096);
            foreach (var instrument in _instruments.OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var series = instrument.IsObservable ? _observed.GetValueOrDefault(instrument) : _summed.GetValueOrDefault(instrument);
                var name = SanitizeName(instrument.Name);
                text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(instrument.Description ?? instrument.Name)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(TypeOf(instrument)).Append('\n');
                foreach (var (labels, value) in (series ?? []).OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    var all = meterLabels.Length == 0 ? labels : labels.Length == 0 ? meterLabels : meterLabels + "," + labels;
                    text.Append(name);
                    if (all.Length > 0)
                    {
                        text.Append('{').Append(all).Append('}');
                    }

                    text.Append(' ').Append(FormatValue(value)).Append('\n');
                }
            }

            return text.ToString();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Observable callbacks run inside Scrape (under the lock); synchronous instruments on any thread.
        var labels = Labels(tags);
        lock (_lock)
        {
            if (instrument.IsObservable)
            {
                Series(_observed, instrument)[labels] = value;
            }
            else
            {
                var series = Series(_summed, instrument);
                series[labels] = series.GetValueOrDefault(labels) + value;
            }
        }
    }

    private static Dictionary<string, double> Series(Dictionary<Instrument, Dictionary<string, double>> all, Instrument instrument)
    {
        if (!all.TryGetValue(instrument, out var series))
        {
            all[instrument] = series = new Dictionary<string, double>(StringComparer.Ordinal);
        }

        return series;
    }

    private static string TypeOf(Instrument instrument) => instrument.GetType().Name switch
    {
        var n when n.StartsWith("ObservableCounter", StringComparison.Ordinal) || n.StartsWith("Counter", StringComparison.Ordinal) => "counter",
        var n when n.StartsWith("ObservableGauge", StringComparison.Ordinal) || n.Contains("UpDownCounter", StringComparison.Ordinal) || n.StartsWith("Gauge", StringComparison.Ordinal) => "gauge",
        _ => "untyped",
    };

    private static string Labels(IEnumerable<KeyValuePair<string, object?>> tags) => Labels([.. tags]);

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(SanitizeName(key)).Append("=\"").Append(EscapeLabelValue(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }

        return text.ToString();
    }

    /// <summary>Metric and label names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>; anything else becomes '_'.</summary>
    internal static string SanitizeName(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var ok = char.IsAsciiLetter(c) || c is '_' or ':' || (i > 0 && char.IsAsciiDigit(c));
            chars[i] = ok ? c : '_';
        }

        return chars.Length == 0 ? "_" : new string(chars);
    }

    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ when value == Math.Floor(value) && Math.Abs(value) < 1e15 => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public void Dispose() => _listener.Dispose();
}
