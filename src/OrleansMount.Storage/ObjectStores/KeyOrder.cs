namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// The order object stores list keys in: ascending ordinal order of the keys' UTF-8 bytes, which is
/// Unicode code point order. <see cref="StringComparer.Ordinal"/> is UTF-16 code unit order and
/// differs for characters outside the BMP (surrogate pairs, 0xD800–0xDFFF) against characters in
/// 0xE000–0xFFFF; this comparer fixes that up without encoding the strings.
/// </summary>
public sealed class KeyOrder : IComparer<string>
{
    private KeyOrder()
    {
    }

    /// <summary>The UTF-8 byte order comparer.</summary>
    public static KeyOrder Instance { get; } = new();

    /// <summary>Compares two keys by their UTF-8 bytes.</summary>
    public static int CompareKeys(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        return CompareKeys(x.AsSpan(), y.AsSpan());
    }

    /// <summary>Compares two keys by their UTF-8 bytes.</summary>
    public static int CompareKeys(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        return CodePointRank(x[common]).CompareTo(CodePointRank(y[common]));
    }

    public int Compare(string? x, string? y) => CompareKeys(x, y);

    // Surrogates (which encode code points above 0xFFFF) must rank above every BMP character;
    // moving 0xE000–0xFFFF down by 0x800 and the surrogates up by 0x2000 does that and keeps
    // everything else in place.
    private static int CodePointRank(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
