using System.Globalization;

namespace OrleansMount.Core;

/// <summary>Durations on the command line: a number with a unit, <c>500ms</c>, <c>10s</c>, <c>2m</c>.</summary>
public static class Duration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        var split = 0;
        while (split < trimmed.Length && (char.IsAsciiDigit(trimmed[split]) || trimmed[split] == '.'))
        {
            split++;
        }

        if (split == 0 || !double.TryParse(trimmed.AsSpan(0, split), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        double? milliseconds = trimmed[split..].ToLowerInvariant() switch
        {
            "ms" => number,
            "s" => number * 1000,
            "m" or "min" => number * 60_000,
            _ => null,
        };
        if (milliseconds is not { } ms || ms > TimeSpan.FromDays(1).TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }
}
