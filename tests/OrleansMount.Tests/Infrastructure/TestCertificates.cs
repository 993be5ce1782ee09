using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>Self-signed certificates made in the test (<see cref="CertificateRequest"/>), written as the silo reads them.</summary>
public static class TestCertificates
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// A self-signed ECDSA P-256 certificate with its private key, valid from an hour ago for 30 days unless told
    /// otherwise, allowed for TLS server and client authentication (or only the usages given).
    /// </summary>
    public static X509Certificate2 Create(string commonName, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string[]? usages = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var oids = new OidCollection();
        foreach (var usage in usages ?? [ServerAuthentication, ClientAuthentication])
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddHours(-1);
        return request.CreateSelfSigned(from, notAfter ?? from.AddDays(30));
    }

    /// <summary>The OID of TLS server authentication, for <see cref="Create"/>'s usages.</summary>
    public static string ServerAuth => ServerAuthentication;

    /// <summary>PKCS#12 with the private key, protected by <paramref name="password"/> (null: none).</summary>
    public static void WritePfx(X509Certificate2 certificate, string path, string? password)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
    }

    /// <summary>PEM: the CERTIFICATE block, then the key's PRIVATE KEY block (encrypted with <paramref name="password"/> if given); <paramref name="withKey"/> false leaves the key out.</summary>
    public static void WritePem(X509Certificate2 certificate, string path, string? password = null, bool withKey = true)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var text = certificate.ExportCertificatePem() + "\n";
        if (withKey)
        {
            using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA private key");
            text += password is null
                ? key.ExportPkcs8PrivateKeyPem()
                : key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));
            text += "\n";
        }

        File.WriteAllText(path, text);
    }
}
