namespace OrleansMount.Tests.Deploy;

/// <summary>A systemd unit file read into (section, key, value) triples, in order.</summary>
internal sealed class Unit
{
    private readonly List<(string Section, string Key, string Value)> _entries;

    private Unit(List<(string Section, string Key, string Value)> entries) => _entries = entries;

    public static Unit Parse(string text)
    {
        var entries = new List<(string, string, string)>();
        var section = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"not a key=value line: {line}");
            entries.Add((section, line[..equals], line[(equals + 1)..]));
        }

        return new Unit(entries);
    }

    public IEnumerable<string> All(string section, string key) =>
        _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value);

    public string? Single(string section, string key) => All(section, key).SingleOrDefault();

    public IEnumerable<string> Words(string section, string key) =>
        All(section, key).SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The programs of every Exec* line, without the '-', '@', '+' and '!' prefixes.</summary>
    public IEnumerable<string> ExecPrograms() =>
        _entries.Where(e => e.Section == "Service" && e.Key.StartsWith("Exec", StringComparison.Ordinal))
            .Select(e => e.Value.TrimStart('-', '@', '+', '!', ':').Split(' ')[0]);
}
