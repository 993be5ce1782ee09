using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace OrleansMount.Tests.Deploy;

/// <summary>Reads YAML (one or many documents) into maps, lists and strings, and walks them by dotted paths.</summary>
internal static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    /// <summary>Every non-empty document of <paramref name="text"/>; a syntax error throws with its position.</summary>
    public static List<IDictionary<object, object>> LoadAll(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        var documents = new List<IDictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (Deserializer.Deserialize<object?>(parser) is IDictionary<object, object> map)
            {
                documents.Add(map);
            }
        }

        return documents;
    }

    /// <summary>The node at <paramref name="path"/> ("spec.template.spec"), or null if any step is missing.</summary>
    public static object? Get(object? node, string path)
    {
        foreach (var key in path.Split('.'))
        {
            if (node is not IDictionary<object, object> map || !map.TryGetValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    public static IDictionary<object, object> Map(object? node, string path) =>
        Get(node, path) as IDictionary<object, object> ?? throw new Xunit.Sdk.XunitException($"'{path}' is missing or not a map");

    /// <summary>The list at <paramref name="path"/>; empty when it is missing.</summary>
    public static IEnumerable<object> List(object? node, string path) => Get(node, path) switch
    {
        null => [],
        IList<object> list => list,
        _ => throw new Xunit.Sdk.XunitException($"'{path}' is not a list"),
    };

    public static string? Str(object? node, string path) => Get(node, path) as string;

    public static Dictionary<string, string> StringMap(object? node, string path) =>
        (Get(node, path) as IDictionary<object, object> ?? new Dictionary<object, object>())
            .ToDictionary(kv => (string)kv.Key, kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal);
}
