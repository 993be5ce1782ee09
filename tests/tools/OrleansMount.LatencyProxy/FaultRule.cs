using System.Globalization;

namespace OrleansMount.LatencyProxy;

/// <summary>
/// One <c>--fault</c>: <c>KIND[:OPTION=VALUE,...]</c>. KIND is <c>500</c>, <c>503</c> (or
/// <c>slowdown</c>), <c>reset</c>, <c>reset-body</c> or <c>stall</c>. Options narrow which requests
/// it hits (all of them by default): <c>methods=GET|PUT</c>, <c>path=SUBSTRING</c>, then among those
/// <c>first=N</c> (the first N), <c>every=N</c> (every Nth), <c>rate=P</c> (each with probability P);
/// <c>stall-ms=N</c> sets the stall of <c>stall</c> (default: until the client gives up).
/// </summary>
public sealed class FaultRule
{
    private long _matched;

    private FaultRule(FaultKind kind)
    {
        Kind = kind;
    }

    public FaultKind Kind { get; }

    public IReadOnlySet<string>? Methods { get; private init; }

    public string? PathContains { get; private init; }

    public long? First { get; private init; }

    public long? Every { get; private init; }

    public double Rate { get; private init; } = 1.0;

    public TimeSpan? StallFor { get; private init; }

    /// <summary>Whether this rule hits a request; counts the requests it could have hit. Thread-safe.</summary>
    public bool Hits(string method, string path, Func<double> random)
    {
        if ((Methods is not null && !Methods.Contains(method)) || (PathContains is not null && !path.Contains(PathContains, StringComparison.Ordinal)))
        {
            return false;
        }

        var n = Interlocked.Increment(ref _matched);
        if (First is { } first && n > first)
        {
            return false;
        }

        if (Every is { } every && n % every != 0)
        {
            return false;
        }

        return Rate >= 1.0 || random() < Rate;
    }

    /// <summary>Parses one <c>--fault</c> value; a bad one throws an <see cref="ArgumentException"/> saying what to write instead.</summary>
    public static FaultRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kindText = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        var kind = kindText switch
        {
            "500" => FaultKind.InternalError,
            "503" or "slowdown" => FaultKind.SlowDown,
            "reset" => FaultKind.Reset,
            "reset-body" => FaultKind.ResetMidBody,
            "stall" => FaultKind.Stall,
            _ => throw new ArgumentException($"--fault '{text}': unknown kind '{kindText}'; use 500, 503 (slowdown), reset, reset-body or stall"),
        };

        HashSet<string>? methods = null;
        string? path = null;
        long? first = null, every = null;
        double rate = 1.0;
        TimeSpan? stall = null;
        foreach (var option in colon < 0 ? [] : text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = option.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--fault '{text}': '{option}' is not OPTION=VALUE (options: methods, path, first, every, rate, stall-ms)");
            }

            var (name, value) = (option[..eq].ToLowerInvariant(), option[(eq + 1)..]);
            switch (name)
            {
                case "methods":
                    methods = new HashSet<string>(value.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(m => m.ToUpperInvariant()), StringComparer.Ordinal);
                    break;
                case "path":
                    path = value;
                    break;
                case "first":
                    first = Positive(text, name, value);
                    break;
                case "every":
                    every = Positive(text, name, value);
                    break;
                case "rate":
                    rate = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1
                        ? r
                        : throw new ArgumentException($"--fault '{text}': rate={value} is not a probability between 0 and 1");
                    break;
                case "stall-ms":
                    stall = TimeSpan.FromMilliseconds(Positive(text, name, value));
                    break;
                default:
                    throw new ArgumentException($"--fault '{text}': unknown option '{name}' (options: methods, path, first, every, rate, stall-ms)");
            }
        }

        return new FaultRule(kind) { Methods = methods, PathContains = path, First = first, Every = every, Rate = rate, StallFor = stall };
    }

    private static long Positive(string text, string name, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"--fault '{text}': {name}={value} is not a positive whole number");
}
