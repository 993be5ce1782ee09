using System.Text;

namespace OrleansMount.Core;

/// <summary>
/// Which object keys can be files of a snapshot (docs/SEMANTICS.md, "Keys that cannot be files").
/// A key relative to the imported prefix becomes the file's path unless it
/// <list type="bullet">
/// <item>ends with '/' (a directory marker: skipped, directories are derived from paths);</item>
/// <item>is empty, starts with '/', or has an empty, '.' or '..' segment ("a//b", "a/./b", "../x");</item>
/// <item>has a segment longer than 255 UTF-8 bytes (the Linux name limit) or a NUL character;</item>
/// <item>has more than <see cref="MaxSegments"/> segments (its directories could not be numbered, see <see cref="InodeNumbers"/>;
/// unreachable in practice: S3 keys are at most 1,024 bytes and Linux paths 4,096).</item>
/// </list>
/// A key that is a file and also the prefix of other keys ("a/b" and "a/b/c") keeps the
/// directory; the file is skipped (the importer's merge settles it, docs/decisions/0022-import-external-sort.md). Every skip is counted by reason and
/// logged with the key.
/// </summary>
public static class PathRules
{
    public const int MaxNameBytes = 255;

    /// <summary>A file's segments at most: its deepest directory then has <see cref="InodeNumbers.MaxDirectoryDepth"/>.</summary>
    public const int MaxSegments = InodeNumbers.MaxDirectoryDepth + 1;

    public static PathVerdict Check(string relativeKey)
    {
        ArgumentNullException.ThrowIfNull(relativeKey);
        if (relativeKey.Length == 0)
        {
            return PathVerdict.Empty;
        }

        if (relativeKey.EndsWith('/'))
        {
            return PathVerdict.DirectoryMarker;
        }

        if (relativeKey.Contains('\0', StringComparison.Ordinal))
        {
            return PathVerdict.InvalidCharacter;
        }

        var segments = relativeKey.Split('/');
        if (segments.Length > MaxSegments)
        {
            return PathVerdict.TooDeep;
        }

        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                return PathVerdict.BadSegment;
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
            {
                return PathVerdict.NameTooLong;
            }
        }

        return PathVerdict.Ok;
    }

    /// <summary>A name asked for by a lookup: one segment, no '/', not '.' or '..', no NUL, within the limit.</summary>
    public static bool IsValidName(string name) =>
        name.Length > 0 && name != "." && name != ".." && !name.Contains('/', StringComparison.Ordinal)
        && !name.Contains('\0', StringComparison.Ordinal) && Encoding.UTF8.GetByteCount(name) <= MaxNameBytes;

    /// <summary>Joins a directory path ("" for the root) and a child name.</summary>
    public static string Join(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    /// <summary>Normalizes a user-given directory path ("/a/b/", "a/b", "/", "") to the form used in keys ("a/b", "").</summary>
    public static string NormalizeDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var trimmed = path.Trim('/');
        if (trimmed.Length > 0 && Check(trimmed) != PathVerdict.Ok)
        {
            throw new OrleansMountException($"'{path}' is not a valid path inside a snapshot ('/'-separated names, no '.', '..' or empty names)", 2);
        }

        return trimmed;
    }
}
