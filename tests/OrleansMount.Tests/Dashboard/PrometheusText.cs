using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansMount.Tests.Dashboard;

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4: every line is a <c># HELP</c>, a
/// <c># TYPE</c> (counter, gauge, histogram, summary or untyped) or a sample; names and labels follow
/// the grammar; a sample's metric family has a TYPE first; no series appears twice. Anything else
/// fails the test with the offending line.
/// </summary>
public sealed partial class PrometheusText
{
    private PrometheusText(IReadOnlyDictionary<string, string> types, IReadOnlyDictionary<string, string> help, IReadOnlyList<PrometheusSample> samples)
    {
        Types = types;
        Help = help;
        Samples = samples;
    }

    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyDictionary<string, string> Help { get; }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    public static PrometheusText Parse(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text[..^1].Split('\n'))
        {
            if (line.StartsWith('#'))
            {
                var comment = CommentLine().Match(line);
                Assert.True(comment.Success, $"not a HELP or TYPE line: '{line}'");
                var name = comment.Groups["name"].Value;
                if (comment.Groups["kind"].Value == "TYPE")
                {
                    Assert.Matches("^(counter|gauge|histogram|summary|untyped)$", comment.Groups["rest"].Value);
                    Assert.True(types.TryAdd(name, comment.Groups["rest"].Value), $"second TYPE for {name}");
                }
                else
                {
                    Assert.True(help.TryAdd(name, comment.Groups["rest"].Value), $"second HELP for {name}");
                }

                continue;
            }

            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a sample line: '{line}'");
            var metric = sample.Groups["name"].Value;
            Assert.True(types.ContainsKey(metric), $"sample of {metric} before (or without) its TYPE line");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(sample.Groups["labels"].Value))
            {
                Assert.True(labels.TryAdd(label.Groups["key"].Value, Unescape(label.Groups["value"].Value)), $"label {label.Groups["key"].Value} twice in '{line}'");
            }

            Assert.True(seen.Add(metric + "{" + sample.Groups["labels"].Value + "}"), $"series twice: '{line}'");
            var value = sample.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(metric, labels, value));
        }

        return new PrometheusText(types, help, samples);
    }

    /// <summary>The value of the one series of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matching = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(matching.Count == 1, $"{matching.Count} series of {name} with {string.Join(",", labels)}");
        return matching[0].Value;
    }

    private static string Unescape(string value) =>
        value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.*)$")]
    private static partial Regex CommentLine();

    // name, optional {k="v",...} with escapes \\ \" \n in values, a value, an optional timestamp.
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\\n]|\\[\\""n])*"")(,[a-zA-Z_][a-zA-Z0-9_]*=""([^""\\\n]|\\[\\""n])*"")*)\})? (?<value>[-+]?([0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|Inf)|NaN)( -?[0-9]+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>([^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
