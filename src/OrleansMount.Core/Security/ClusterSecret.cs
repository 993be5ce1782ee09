using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansMount.Core.Security;

/// <summary>
/// The cluster's shared secret. Every silo-to-silo and mount-to-silo request carries
/// <c>X-OrleansMount-Auth: v1 UNIXSECONDS HEX</c>, where HEX is HMAC-SHA256(secret, "v1\nUNIXSECONDS\nMETHOD\nPATH?QUERY");
/// the secret itself never travels. It comes from a file or the environment, never the command line
/// (where every local user could read it in /proc), and is never logged.
/// </summary>
public sealed class ClusterSecret
{
    public const string HeaderName = "X-OrleansMount-Auth";
    public const string EnvironmentVariable = "ORLEANSMOUNT_CLUSTER_SECRET";
    public const string FileEnvironmentVariable = "ORLEANSMOUNT_CLUSTER_SECRET_FILE";
    public const int MinimumLength = 16;

    /// <summary>How far a signature's time may be from the verifier's clock.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    private const string Version = "v1";
    private readonly byte[] _key;

    private ClusterSecret(byte[] key, string source)
    {
        _key = key;
        Source = source;
    }

    /// <summary>Where the secret came from ("file PATH" or the variable's name), for logs.</summary>
    public string Source { get; }

    /// <summary>A secret from its text (at least <see cref="MinimumLength"/> characters after trimming).</summary>
    public static ClusterSecret FromText(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length < MinimumLength)
        {
            throw new OrleansMountException($"the cluster secret from {source} is shorter than {MinimumLength} characters; generate one with 'head -c 32 /dev/urandom | base64'", 2);
        }

        return new ClusterSecret(Encoding.UTF8.GetBytes(trimmed), source);
    }

    /// <summary>Reads a secret file (one line).</summary>
    public static ClusterSecret FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OrleansMountException($"the cluster secret file {path} cannot be read: {e.Message}", 2);
        }

        return FromText(text, $"file {path}");
    }

    /// <summary>
    /// The secret from <paramref name="file"/> if given, else from <see cref="FileEnvironmentVariable"/>,
    /// else <see cref="EnvironmentVariable"/>; null when none is set (no authentication).
    /// </summary>
    public static ClusterSecret? Load(string? file = null)
    {
        if (!string.IsNullOrEmpty(file))
        {
            return FromFile(file);
        }

        if (Environment.GetEnvironmentVariable(FileEnvironmentVariable) is { Length: > 0 } fromFile)
        {
            return FromFile(fromFile);
        }

        return Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } text ? FromText(text, EnvironmentVariable) : null;
    }

    /// <summary>The header value for a request at <paramref name="now"/>.</summary>
    public string Sign(string method, string pathAndQuery, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        return $"{Version} {seconds.ToString(CultureInfo.InvariantCulture)} {Convert.ToHexStringLower(Mac(seconds, method, pathAndQuery))}";
    }

    /// <summary>True when <paramref name="header"/> is a signature of this request by this secret, made within <see cref="MaxSkew"/> of <paramref name="now"/>.</summary>
    public bool Verify(string? header, string method, string pathAndQuery, DateTimeOffset now)
    {
        var parts = header?.Split(' ');
        if (parts is not [Version, var time, var hex]
            || !long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || hex.Length != 64)
        {
            return false;
        }

        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > MaxSkew.TotalSeconds)
        {
            return false;
        }

        byte[] sent;
        try
        {
            sent = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(sent, Mac(seconds, method, pathAndQuery));
    }

    private byte[] Mac(long seconds, string method, string pathAndQuery) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{Version}\n{seconds.ToString(CultureInfo.InvariantCulture)}\n{method.ToUpperInvariant()}\n{pathAndQuery}"));

    /// <summary>Never the secret: only where it came from.</summary>
    public override string ToString() => $"cluster secret from {Source}";
}
