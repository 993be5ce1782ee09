using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace OrleansMount.Tests.Dashboard;

/// <summary>
/// What the dashboard page rendered, read back from the DOM chromium dumped: elements carrying the
/// page's <c>data-*</c> attributes (members rows, occupancy cards, tier totals) and the text and SVG
/// shapes inside them.
/// </summary>
public sealed partial class RenderedDashboard
{
    private readonly string _dom;

    public RenderedDashboard(string dom) => _dom = dom;

    /// <summary>How many times the page rendered data from <c>/api/v1/cluster</c> (body data-rendered).</summary>
    public int Renders => int.Parse(Attributes(Tags("body").Single())["data-rendered"], CultureInfo.InvariantCulture);

    /// <summary>Attributes of every start tag whose class list contains <paramref name="cssClass"/>, in document order.</summary>
    public IReadOnlyList<Dictionary<string, string>> WithClass(string cssClass) =>
        [.. StartTags().Select(t => (Tag: t, Attributes: Attributes(t.Value)))
            .Where(t => t.Attributes.TryGetValue("class", out var c) && c.Split(' ').Contains(cssClass))
            .Select(t => t.Attributes)];

    /// <summary>The markup of each element with class <paramref name="cssClass"/> up to the next one (its content and what follows it).</summary>
    public IReadOnlyList<(Dictionary<string, string> Attributes, string Markup)> Sections(string cssClass)
    {
        var starts = StartTags().Where(t => Attributes(t.Value).TryGetValue("class", out var c) && c.Split(' ').Contains(cssClass)).ToList();
        return [.. starts.Select((t, i) => (Attributes(t.Value), _dom[t.Index..(i + 1 < starts.Count ? starts[i + 1].Index : _dom.Length)]))];
    }

    /// <summary>The decoded text of the first element with <paramref name="cssClass"/> inside <paramref name="markup"/>.</summary>
    public static string TextOf(string markup, string cssClass)
    {
        var match = Regex.Match(markup, $"<(?<tag>[a-z]+)[^>]*class=\"{Regex.Escape(cssClass)}\"[^>]*>(?<text>[^<]*)</\\k<tag>>");
        Assert.True(match.Success, $"no element with class {cssClass}");
        return WebUtility.HtmlDecode(match.Groups["text"].Value);
    }

    /// <summary>Attributes of the first start tag of <paramref name="tag"/> with class <paramref name="cssClass"/> inside <paramref name="markup"/>.</summary>
    public static Dictionary<string, string> FirstTag(string markup, string tag, string cssClass)
    {
        foreach (Match m in StartTag().Matches(markup))
        {
            var attributes = Attributes(m.Value);
            if (m.Groups["tag"].Value == tag && attributes.GetValueOrDefault("class") == cssClass)
            {
                return attributes;
            }
        }

        Assert.Fail($"no <{tag} class=\"{cssClass}\">");
        return [];
    }

    private IEnumerable<Match> StartTags() => StartTag().Matches(_dom);

    private IEnumerable<string> Tags(string tag) => StartTags().Where(m => m.Groups["tag"].Value == tag).Select(m => m.Value);

    private static Dictionary<string, string> Attributes(string startTag)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match a in Attribute().Matches(startTag))
        {
            attributes[a.Groups["key"].Value] = WebUtility.HtmlDecode(a.Groups["value"].Value);
        }

        return attributes;
    }

    [GeneratedRegex(@"<(?<tag>[a-zA-Z][a-zA-Z0-9]*)(\s[^>]*)?>")]
    private static partial Regex StartTag();

    [GeneratedRegex(@"\s(?<key>[a-zA-Z_:][-a-zA-Z0-9_:.]*)=""(?<value>[^""]*)""")]
    private static partial Regex Attribute();
}
