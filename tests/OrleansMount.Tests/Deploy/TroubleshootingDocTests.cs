using System.Text;
using System.Text.RegularExpressions;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Deploy;

/// <summary>
/// docs/operations.md lists every error a user can see: each message the programs throw as an
/// OrleansMountException (or one of its kinds) and each EIO log line of the mount must be quoted there.
/// </summary>
[UnitTest]
public sealed partial class TroubleshootingDocTests
{
    private static readonly string[] ProgramFolders = ["src", "silo", "client", "grains"];

    [Fact]
    public void Operations_guide_quotes_every_user_visible_error_message()
    {
        var guide = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "operations.md")).Replace("`", "", StringComparison.Ordinal);
        var messages = new List<(string File, string Literal)>();
        foreach (var file in ProgramFolders.SelectMany(f => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, f), "*.cs", SearchOption.AllDirectories)))
        {
            // The in-memory store is a test double; obj/ holds generated code.
            if (file.Contains("/obj/", StringComparison.Ordinal) || Path.GetFileName(file).StartsWith("InMemory", StringComparison.Ordinal))
            {
                continue;
            }

            var code = File.ReadAllText(file);
            var isErrorType = ErrorTypeDeclaration().IsMatch(code);
            foreach (Match match in ThrownMessage().Matches(code))
            {
                if (match.Groups["ctor"].Value != "base" || isErrorType)
                {
                    messages.Add((Path.GetFileName(file), match.Groups["text"].Value));
                }
            }

            messages.AddRange(EioLogLine().Matches(code).Select(m => (Path.GetFileName(file), m.Groups["text"].Value)));
        }

        Assert.True(messages.Count > 40, $"found only {messages.Count} messages: has the error type been renamed?");
        var missing = messages
            .Select(m => (m.File, m.Literal, Key: LongestFixedPart(m.Literal)))
            .Where(m => m.Key.Length >= 8 && !guide.Contains(m.Key, StringComparison.Ordinal))
            .Select(m => $"{m.File}: \"{m.Literal}\" (looked for \"{m.Key}\")")
            .ToList();
        Assert.True(missing.Count == 0, "docs/operations.md (Troubleshooting) does not quote:\n" + string.Join('\n', missing));
    }

    /// <summary>The longest run of a message's text outside its interpolation holes, trimmed of punctuation.</summary>
    private static string LongestFixedPart(string literal)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var depth = 0;
        foreach (var c in literal)
        {
            if (c == '{')
            {
                depth++;
                parts.Add(current.ToString());
                current.Clear();
            }
            else if (c == '}')
            {
                depth--;
            }
            else if (depth == 0)
            {
                current.Append(c);
            }
        }

        parts.Add(current.ToString());
        return parts.Select(p => p.Replace("\\\"", "\"", StringComparison.Ordinal).Trim(' ', '\'', '.', ',', ';', ':', '(', ')'))
            .OrderByDescending(p => p.Length)
            .First();
    }

    [GeneratedRegex(@"(?:new (?:OrleansMountException|SiloException|ObjectStoreException|ObjectNotFoundException|ObjectChangedException|SnapshotReplacedException)|:\s*(?<ctor>OrleansMountException|base))\(\s*\$?""(?<text>(?:[^""\\]|\\.)*)""")]
    private static partial Regex ThrownMessage();

    [GeneratedRegex(@":\s*(?:OrleansMountException|ObjectStoreException|SiloException)\b")]
    private static partial Regex ErrorTypeDeclaration();

    [GeneratedRegex(@"LogError\(\s*""(?<text>[^""]*EIO[^""]*)""")]
    private static partial Regex EioLogLine();
}
