using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansMount.Core.Security;

/// <summary>
/// The certificate every silo of a cluster holds, with its private key, and presents on the Orleans silo-to-silo
/// connections in both directions (mutual TLS). A peer is accepted only if it presents this very certificate: the
/// SHA-256 of its DER bytes equals this one's (<see cref="Matches"/>). No CA, chain, name or revocation is
/// consulted: the cluster is one trust domain, like the cluster secret, and whoever holds the file is a member
/// (docs/decisions/0010-orleans.md, "Security"). The file is a PKCS#12 (.pfx/.p12) or a PEM file holding the
/// certificate and its private key; its password, if any, comes from <see cref="PasswordVariable"/>, never the
/// command line.
/// </summary>
public sealed class ClusterCertificate
{
    /// <summary>The environment variable holding the password of a protected PKCS#12 file or encrypted PEM key.</summary>
    public const string PasswordVariable = "ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD";

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private readonly byte[] _sha256;

    private ClusterCertificate(X509Certificate2 certificate, string path)
    {
        Certificate = certificate;
        Path = path;
        _sha256 = certificate.GetCertHash(HashAlgorithmName.SHA256);
        Fingerprint = FingerprintOf(_sha256);
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the certificate as <c>openssl x509 -noout -fingerprint -sha256</c> prints it (AB:CD:…).</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Reads the certificate and its key from <paramref name="path"/> and checks that a silo can use it at
    /// <paramref name="now"/>: a private key, valid now, and allowed for both TLS server and client authentication
    /// (every silo both accepts and opens connections). Every failure is an <see cref="OrleansMountException"/>
    /// (exit code 2) saying what is wrong with the file.
    /// </summary>
    public static ClusterCertificate Load(string path, string? password, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OrleansMountException($"the certificate file {path} cannot be read: {e.Message}", 2);
        }

        var certificate = IsPem(bytes) ? LoadPem(path, password) : LoadPkcs12(path, password);
        if (!certificate.HasPrivateKey)
        {
            throw new OrleansMountException($"{path} holds the certificate {certificate.Subject} but not its private key: every silo needs both (PKCS#12, or PEM with the CERTIFICATE and PRIVATE KEY blocks in one file)", 2);
        }

        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            throw new OrleansMountException(string.Create(CultureInfo.InvariantCulture, $"the certificate in {path} is valid from {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} to {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC, not now: give every silo a new cluster certificate"), 2);
        }

        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault()?.EnhancedKeyUsages;
        if (usages is not null)
        {
            var oids = usages.Cast<Oid>().Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
            if (!oids.Contains(ServerAuthentication) || !oids.Contains(ClientAuthentication))
            {
                throw new OrleansMountException($"the certificate in {path} is not allowed for both TLS server and client authentication (its Extended Key Usage must list serverAuth and clientAuth, or be absent): every silo both accepts and opens connections", 2);
            }
        }

        return new ClusterCertificate(certificate, path);
    }

    /// <summary>True if <paramref name="peer"/> is this very certificate (the same DER bytes, by SHA-256).</summary>
    public bool Matches(X509Certificate2 peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return CryptographicOperations.FixedTimeEquals(peer.GetCertHash(HashAlgorithmName.SHA256), _sha256);
    }

    /// <summary>A certificate's SHA-256 fingerprint as <see cref="Fingerprint"/> prints it.</summary>
    public static string FingerprintOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return FingerprintOf(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }

    /// <summary>Subject, fingerprint and file: never the key or the password.</summary>
    public override string ToString() => $"cluster certificate {Certificate.Subject} (SHA-256 {Fingerprint}) from file {Path}";

    private static string FingerprintOf(byte[] sha256) => string.Join(':', sha256.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

    /// <summary>PEM text, possibly after other text (openssl's "Bag Attributes" lines); PKCS#12 is DER, never this.</summary>
    private static bool IsPem(byte[] bytes) => bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    private static X509Certificate2 LoadPkcs12(string path, string? password)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            var hint = string.IsNullOrEmpty(password) ? $"; a password-protected file needs {PasswordVariable}" : $"; is {PasswordVariable} the file's password?";
            throw new OrleansMountException($"{path} is neither a PEM file nor a PKCS#12 (.pfx/.p12) file this silo can open: {e.Message}{hint}", 2);
        }
    }

    private static X509Certificate2 LoadPem(string path, string? password)
    {
        var text = File.ReadAllText(path);
        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw new OrleansMountException($"{path} is a PEM file without a CERTIFICATE block: put the certificate and its private key in one file (cat cert.pem key.pem)", 2);
        }

        var encrypted = text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
        if (encrypted && string.IsNullOrEmpty(password))
        {
            throw new OrleansMountException($"{path} holds an encrypted private key: set {PasswordVariable} to its password", 2);
        }

        if (!encrypted && !text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new OrleansMountException($"{path} holds a certificate but no PRIVATE KEY block: every silo needs both, in one file (cat cert.pem key.pem)", 2);
        }

        try
        {
            return encrypted ? X509Certificate2.CreateFromEncryptedPemFile(path, password) : X509Certificate2.CreateFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new OrleansMountException($"{path} cannot be read as a PEM certificate and private key: {e.Message}", 2);
        }
    }
}
