using System.Text;
using OrleansMount.Core;

namespace OrleansMount.Storage.Metadata;

/// <summary>
/// Where a directory listing goes on: "f/NAME" after the file NAME, "d/NAME" after the subdirectory NAME (and its
/// whole subtree), "s/NAME" at NAME itself (<see cref="From"/>). Opaque to clients, which send back what a page gave
/// them or ask <see cref="From"/> a name; it names a position in key order, so a page costs the same wherever it
/// starts, and a cursor never refers to state kept on the silo.
/// </summary>
public static class ListingCursor
{
    public static string After(DirectoryItem item) => After(item.Name, item.IsDirectory);

    public static string After(string name, bool directory) => (directory ? "d/" : "f/") + name;

    /// <summary>
    /// A page that starts at <paramref name="name"/>: its file NAME first when there is one, then the children after it
    /// in key order (a subdirectory NAME sorts as "NAME/", so after names such as "NAME-x"). A mount asks it for the
    /// name it was asked to look up and the names a walk in listing order asks next.
    /// </summary>
    public static string From(string name) => "s/" + name;

    /// <summary>The first key (path bytes) a page starting after <paramref name="cursor"/> may hold.</summary>
    public static byte[] ResumeKey(byte[] directoryPrefix, string cursor)
    {
        if (cursor.Length < 3 || cursor[1] != '/' || cursor[0] is not ('f' or 'd' or 's') || !PathRules.IsValidName(cursor[2..]))
        {
            throw new OrleansMountException($"listing cursor '{Shorten(cursor)}' is not one this silo handed out; list the directory again from its start", 2);
        }

        var name = Encoding.UTF8.GetBytes(cursor[2..]);
        return cursor[0] switch
        {
            'f' => [.. directoryPrefix, .. name, 0], // the least key after "dir/name"
            's' => [.. directoryPrefix, .. name], // "dir/name" itself
            _ => PastSubtree(directoryPrefix, name),
        };
    }

    /// <summary>"dir/name0": the least key after every key below "dir/name/" ('0' is '/' + 1).</summary>
    public static byte[] PastSubtree(ReadOnlySpan<byte> directoryPrefix, ReadOnlySpan<byte> name) => [.. directoryPrefix, .. name, (byte)'/' + 1];

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
