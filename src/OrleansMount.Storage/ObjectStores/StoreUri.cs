using OrleansMount.Core;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// A location in an object store: <c>s3://bucket/prefix</c> or <c>file:///absolute/dir</c>.
/// For S3 the bucket is the bucket and the prefix a key prefix; for a file store the "bucket" is
/// the absolute directory and the prefix is empty or a relative sub-path. A non-empty prefix
/// always ends with '/'.
/// </summary>
public sealed record StoreUri
{
    private StoreUri(string scheme, string bucket, string prefix)
    {
        Scheme = scheme;
        Bucket = bucket;
        Prefix = prefix;
    }

    /// <summary><c>s3</c> or <c>file</c>.</summary>
    public string Scheme { get; }

    /// <summary>The S3 bucket name, or the absolute root directory of a file store.</summary>
    public string Bucket { get; }

    /// <summary>Key prefix inside the bucket: empty or ending with '/'.</summary>
    public string Prefix { get; }

    public bool IsS3 => Scheme == "s3";

    public static StoreUri S3(string bucket, string prefix = "") => new("s3", bucket, NormalizePrefix(prefix));

    public static StoreUri File(string directory, string prefix = "") => new("file", Path.GetFullPath(directory).TrimEnd('/') is { Length: > 0 } d ? d : "/", NormalizePrefix(prefix));

    /// <summary>Parses a user-supplied URI; throws <see cref="OrleansMountException"/> saying what form is expected.</summary>
    public static StoreUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string Expected = "expected s3://BUCKET[/PREFIX] or file:///ABSOLUTE/DIR";
        if (text.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = text["s3://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var bucket = slash < 0 ? rest : rest[..slash];
            var prefix = slash < 0 ? "" : rest[(slash + 1)..];
            if (!IsValidBucketName(bucket))
            {
                throw new OrleansMountException($"malformed URI '{text}': '{bucket}' is not a valid bucket name (3-63 characters: lowercase letters, digits, '.', '-'); {Expected}", 2);
            }

            if (prefix.Contains("//", StringComparison.Ordinal) || prefix.StartsWith('/'))
            {
                throw new OrleansMountException($"malformed URI '{text}': the prefix has an empty path segment; {Expected}", 2);
            }

            return S3(bucket, prefix);
        }

        if (text.StartsWith("file://", StringComparison.Ordinal))
        {
            var path = Uri.UnescapeDataString(text["file://".Length..]);
            if (!path.StartsWith('/'))
            {
                throw new OrleansMountException($"malformed URI '{text}': a file URI needs an absolute path (three slashes: file:///dir); {Expected}", 2);
            }

            return File(path);
        }

        throw new OrleansMountException($"malformed URI '{text}': {Expected}", 2);
    }

    /// <summary>The URI of a key in this store's bucket, e.g. <c>s3://bucket/key</c>.</summary>
    public string AddressOf(string key) => IsS3 ? $"s3://{Bucket}/{key}" : $"file://{(Bucket == "/" ? "" : Bucket)}/{key}";

    /// <summary>This location with <paramref name="relative"/> appended to the prefix (a sub-"directory").</summary>
    public StoreUri Child(string relative) => new(Scheme, Bucket, NormalizePrefix(Prefix + relative));

    public override string ToString() => AddressOf(Prefix);

    private static string NormalizePrefix(string prefix) =>
        prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";

    private static bool IsValidBucketName(string bucket) =>
        bucket.Length is >= 3 and <= 63
        && bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_')
        && char.IsAsciiLetterOrDigit(bucket[0]);
}
