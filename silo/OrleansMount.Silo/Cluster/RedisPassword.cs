using OrleansMount.Core;

namespace OrleansMount.Silo.Cluster;

/// <summary>
/// The password of the Redis holding the membership table (its <c>requirepass</c>), from
/// <c>--redis-password-file</c> or <see cref="Variable"/>, never the command line. Never logged: its string form
/// names only where it came from.
/// </summary>
public sealed class RedisPassword
{
    public const string Variable = "ORLEANSMOUNT_REDIS_PASSWORD";

    private RedisPassword(string value, string source)
    {
        Value = value;
        Source = source;
    }

    public string Value { get; }

    /// <summary>"file PATH" or the variable's name.</summary>
    public string Source { get; }

    /// <summary>
    /// The password from <paramref name="file"/> (its first line; a trailing newline is not part of it) if given,
    /// else <paramref name="fromEnvironment"/> (the variable's value); null when neither is set.
    /// </summary>
    public static RedisPassword? Load(string? file, string? fromEnvironment)
    {
        if (file is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new OrleansMountException($"--redis-password-file: the file '{file}' cannot be read: {e.Message}", 2);
            }

            var line = text.Split('\n')[0].TrimEnd('\r');
            return line.Length > 0
                ? new RedisPassword(line, $"file {file}")
                : throw new OrleansMountException($"--redis-password-file: the file '{file}' is empty; put the Redis password (its requirepass) on its first line", 2);
        }

        return string.IsNullOrEmpty(fromEnvironment) ? null : new RedisPassword(fromEnvironment, Variable);
    }

    public override string ToString() => $"Redis password from {Source}";
}
