namespace OrleansMount.Core;

/// <summary>What <see cref="PathRules.Check"/> decided about a key.</summary>
public enum PathVerdict
{
    Ok,
    Empty,
    DirectoryMarker,
    BadSegment,
    NameTooLong,
    InvalidCharacter,
    FileShadowedByDirectory,
    TooDeep,
}
