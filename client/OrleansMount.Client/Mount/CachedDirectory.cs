using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>One directory's listing held by the mount: items by name, and the readdir entries (".", "..", children).</summary>
internal sealed class CachedDirectory
{
    private readonly Dictionary<string, ListingItem> _byName;

    public CachedDirectory(string path, IReadOnlyList<ListingItem> items)
    {
        Path = path;
        Items = items;
        _byName = new Dictionary<string, ListingItem>(items.Count, StringComparer.Ordinal);
        foreach (var item in items)
        {
            _byName[item.Name] = item;
        }
    }

    public string Path { get; }

    public IReadOnlyList<ListingItem> Items { get; }

    public ListingItem? Find(string name) => _byName.GetValueOrDefault(name);
}
