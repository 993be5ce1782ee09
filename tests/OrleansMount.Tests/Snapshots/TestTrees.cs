using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Snapshots;

/// <summary>Generated datasets with the names that break naive tools: unicode, spaces, deep nesting, empty files.</summary>
public static class TestTrees
{
    public static Dictionary<string, byte[]> Awkward(int count, int seed = 42)
    {
        var random = new Random(seed);
        string[] dirs = ["train", "val", "test set", "ünïcode", "日本語", "deep/er/and/deeper/still", "a.b", "a-b", "x y z"];
        var tree = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; tree.Count < count; i++)
        {
            var dir = dirs[random.Next(dirs.Length)];
            var sub = random.Next(4) == 0 ? "" : $"class {random.Next(30):00}/";
            var name = (i % 7) switch
            {
                0 => $"img {i}.jpg",
                1 => $"émoji-{i}-🙂.bin",
                2 => $"{i}",
                _ => $"sample_{i:000000}.dat",
            };
            var size = i % 13 == 0 ? 0 : random.Next(1, 64);
            var content = new byte[size];
            random.NextBytes(content);
            tree[$"{dir}/{sub}{name}"] = content;
        }

        return tree;
    }

    /// <summary>Every directory of a file set with its children (name, is-directory) in key order (a directory sorts as "name/").</summary>
    public static IEnumerable<(string Directory, List<(string, bool)> Children)> NaiveDirectories(IEnumerable<string> files)
    {
        var children = new Dictionary<string, SortedDictionary<string, bool>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var parent = "";
            var parts = file.Split('/');
            for (var i = 0; i < parts.Length; i++)
            {
                if (!children.TryGetValue(parent, out var set))
                {
                    children[parent] = set = new SortedDictionary<string, bool>(KeyOrder.Instance);
                }

                set[i < parts.Length - 1 ? parts[i] + "/" : parts[i]] = i < parts.Length - 1;
                parent = parent.Length == 0 ? parts[i] : parent + "/" + parts[i];
            }
        }

        return children.Select(kv => (kv.Key, kv.Value.Select(c => (c.Value ? c.Key[..^1] : c.Key, c.Value)).ToList()));
    }
}
