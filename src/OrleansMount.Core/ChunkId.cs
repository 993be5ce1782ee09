namespace OrleansMount.Core;

/// <summary>One fixed-size slice of an object's bytes: (identity, index). Key of a <c>ChunkGrain</c>.</summary>
public readonly record struct ChunkId(ObjectIdentity Identity, int Index)
{
    public override string ToString() => $"{Identity}-{Index}";

    public static ChunkId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dash = text.LastIndexOf('-');
        if (dash != ObjectIdentity.Length * 2 || !int.TryParse(text.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            throw new FormatException($"'{text}' is not a chunk id (IDENTITY-INDEX)");
        }

        return new ChunkId(ObjectIdentity.Parse(text[..dash]), index);
    }
}
