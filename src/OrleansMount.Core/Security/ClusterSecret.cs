using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansMount.Core.Security;

/// <summary>
/// The cluster's shared secret. Every silo-to-silo and mount-to-silo request carries
/// <c>X-OrleansMount-Auth: v2 UNIXSECONDS NONCE BODYSHA256 HMAC</c>: NONCE 16 random bytes, BODYSHA256 the SHA-256
/// of the body (of no bytes without one), HMAC = HMAC-SHA256(secret, "v2\nUNIXSECONDS\nNONCE\nMETHOD\nPATH?QUERY\nBODYSHA256"),
/// all lowercase hex. It protects the integrity of the method, path, query and body and, with the verifier's
/// nonce memory (<see cref="RequestVerifier"/>), against replays; not other headers, not the response, and not
/// confidentiality (no TLS). The secret itself never travels. It comes from a file or the environment, never
/// the command line (where every local user could read it in /proc), and is never logged.
/// </summary>
public sealed class ClusterSecret
{
    public const string HeaderName = "X-OrleansMount-Auth";
    public const string EnvironmentVariable = "ORLEANSMOUNT_CLUSTER_SECRET";
    public const string FileEnvironmentVariable = "ORLEANSMOUNT_CLUSTER_SECRET_FILE";
    public const int MinimumLength = 16;

    /// <summary>How far a signature's time may be from the verifier's clock.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>The signature version this build makes and accepts (v1 is refused: see <see cref="Check"/>).</summary>
    public const string Version = "v2";

    private const int DigestBytes = 32;
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

    /// <summary>The SHA-256 of a request body (of no bytes for a request without one).</summary>
    public static byte[] BodyDigest(ReadOnlySpan<byte> body) => SHA256.HashData(body);

    /// <summary>The header value for a request with <paramref name="body"/> at <paramref name="now"/>, with a fresh random nonce.</summary>
    public string Sign(string method, string pathAndQuery, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        SignDigest(method, pathAndQuery, BodyDigest(body), now, Nonce.NewRandom());

    /// <summary>The header value for a request whose body has the SHA-256 <paramref name="bodyDigest"/>, with the given nonce.</summary>
    public string SignDigest(string method, string pathAndQuery, ReadOnlySpan<byte> bodyDigest, DateTimeOffset now, Nonce nonce)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        if (bodyDigest.Length != DigestBytes)
        {
            throw new ArgumentException($"a body digest is {DigestBytes} bytes (SHA-256)", nameof(bodyDigest));
        }

        var seconds = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonceText = nonce.ToString();
        var digest = Convert.ToHexStringLower(bodyDigest);
        return $"{Version} {seconds} {nonceText} {digest} {Convert.ToHexStringLower(Mac(seconds, nonceText, method, pathAndQuery, digest))}";
    }

    /// <summary>
    /// Checks everything of a signature that does not need the body or memory of earlier requests: its form and
    /// version, its time within <see cref="MaxSkew"/> of <paramref name="now"/>, and its HMAC over the method, path,
    /// query, nonce and the body digest it names. On success <paramref name="signature"/> holds the time, nonce and
    /// body digest still to be checked (<see cref="RequestVerifier"/> compares the digest with the body received
    /// and refuses a nonce seen before).
    /// </summary>
    public SignatureCheck Check(string? header, string method, string pathAndQuery, DateTimeOffset now, out RequestSignature? signature)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        signature = null;
        if (string.IsNullOrEmpty(header))
        {
            return new(SignatureFault.Missing, "no signature");
        }

        var parts = header.Split(' ');
        if (parts.Length > 0 && parts[0] == "v1")
        {
            return new(SignatureFault.OldVersion, "a v1 signature, which this silo no longer accepts (v1 covered neither the body nor replays): upgrade the caller to this silo's version");
        }

        if (parts is not [Version, var time, var nonceText, var digestHex, var macHex]
            || !long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || !Nonce.TryParse(nonceText, out var nonce)
            || !TryHex(digestHex, out var digest)
            || !TryHex(macHex, out var sent))
        {
            return new(SignatureFault.Malformed, $"a malformed signature (expected '{Version} UNIXSECONDS NONCE BODYSHA256 HMAC', {Nonce.Bytes * 2}, 64 and 64 hex digits)");
        }

        var skew = now.ToUnixTimeSeconds() - seconds;
        if (Math.Abs(skew) > MaxSkew.TotalSeconds)
        {
            return new(SignatureFault.StaleTime, $"a signature made at {seconds} (unix seconds), {Math.Abs(skew)} s {(skew > 0 ? "behind" : "ahead of")} this silo's clock, more than the {MaxSkew.TotalSeconds:0} s allowed: check the clocks of caller and silo");
        }

        if (!CryptographicOperations.FixedTimeEquals(sent, Mac(time, nonceText, method, pathAndQuery, digestHex)))
        {
            return new(SignatureFault.BadSignature, "a wrong signature: made with another secret, or for another method, path or query than this request's");
        }

        signature = new RequestSignature(seconds, nonce, digest);
        return SignatureCheck.Valid;
    }

    private static bool TryHex(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length != DigestBytes * 2)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private byte[] Mac(string seconds, string nonce, string method, string pathAndQuery, string bodyDigest) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{Version}\n{seconds}\n{nonce}\n{method.ToUpperInvariant()}\n{pathAndQuery}\n{bodyDigest}"));

    /// <summary>Never the secret: only where it came from.</summary>
    public override string ToString() => $"cluster secret from {Source}";
}
