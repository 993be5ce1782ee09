using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansMount.Core;
using OrleansMount.Core.Security;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Security;

/// <summary>
/// The cluster certificate file (<c>--tls-certificate</c>): PKCS#12 and PEM with their passwords, a peer matched by
/// the certificate's bytes only, and a clear refusal of every file a silo could not use.
/// </summary>
[UnitTest]
public sealed class ClusterCertificateTests : IDisposable
{
    private const string Password = "pfx-password-1";
    private readonly TempDirectory _temp = new("om-cert-");
    private readonly X509Certificate2 _cluster = TestCertificates.Create("orleansmount-cluster");
    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public void Dispose()
    {
        _cluster.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void The_same_certificate_read_as_PKCS12_or_PEM_matches_and_another_with_the_same_name_does_not()
    {
        var pfx = Write("cluster.pfx", path => TestCertificates.WritePfx(_cluster, path, Password));
        var pem = Write("cluster.pem", path => TestCertificates.WritePem(_cluster, path));
        var encrypted = Write("encrypted.pem", path => TestCertificates.WritePem(_cluster, path, Password));
        var plainPfx = Write("plain.pfx", path => TestCertificates.WritePfx(_cluster, path, null));
        // As `openssl pkcs12 -nodes` writes it: attribute lines before each block.
        var withAttributes = Write("attributes.pem", path =>
        {
            TestCertificates.WritePem(_cluster, path);
            File.WriteAllText(path, "Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=CN = orleansmount-cluster\n" + File.ReadAllText(path));
        });

        var fromPfx = ClusterCertificate.Load(pfx, Password, Now);
        var fromPem = ClusterCertificate.Load(pem, null, Now);
        var fromEncrypted = ClusterCertificate.Load(encrypted, Password, Now);
        var fromPlainPfx = ClusterCertificate.Load(plainPfx, null, Now);
        var fromAttributes = ClusterCertificate.Load(withAttributes, null, Now);
        foreach (var loaded in new[] { fromPfx, fromPem, fromEncrypted, fromPlainPfx, fromAttributes })
        {
            Assert.True(loaded.Certificate.HasPrivateKey);
            Assert.True(loaded.Matches(_cluster));
        }

        Assert.True(fromPem.Matches(fromPfx.Certificate));
        using var impostor = TestCertificates.Create("orleansmount-cluster");
        Assert.False(fromPfx.Matches(impostor));

        // The fingerprint as openssl prints it; the string form names subject, fingerprint and file, never the password.
        var expected = string.Join(':', SHA256.HashData(_cluster.RawData).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(expected, fromPfx.Fingerprint);
        Assert.Equal(expected, ClusterCertificate.FingerprintOf(_cluster));
        Assert.Equal($"cluster certificate CN=orleansmount-cluster (SHA-256 {expected}) from file {pfx}", fromPfx.ToString());
        Assert.DoesNotContain(Password, fromPfx.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_protected_file_without_its_password_or_with_a_wrong_one_is_refused_naming_the_variable()
    {
        var pfx = Write("cluster.pfx", path => TestCertificates.WritePfx(_cluster, path, Password));
        var encrypted = Write("encrypted.pem", path => TestCertificates.WritePem(_cluster, path, Password));

        Assert.Contains("a password-protected file needs ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD", Refusal(pfx, null), StringComparison.Ordinal);
        Assert.Contains("is ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD the file's password?", Refusal(pfx, "wrong"), StringComparison.Ordinal);
        Assert.Equal($"{encrypted} holds an encrypted private key: set ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD to its password", Refusal(encrypted, null));
        Assert.StartsWith($"{encrypted} cannot be read as a PEM certificate and private key: ", Refusal(encrypted, "wrong"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_the_private_key_is_refused()
    {
        var pem = Write("cert-only.pem", path => TestCertificates.WritePem(_cluster, path, withKey: false));
        Assert.Equal($"{pem} holds a certificate but no PRIVATE KEY block: every silo needs both, in one file (cat cert.pem key.pem)", Refusal(pem, null));

        using var publicOnly = X509CertificateLoader.LoadCertificate(_cluster.RawData);
        var pfx = Write("cert-only.pfx", path => File.WriteAllBytes(path, publicOnly.Export(X509ContentType.Pkcs12, Password)));
        Assert.StartsWith($"{pfx} holds the certificate CN=orleansmount-cluster but not its private key", Refusal(pfx, Password), StringComparison.Ordinal);

        var keyOnly = Write("key-only.pem", path => File.WriteAllText(path, _cluster.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()));
        Assert.StartsWith($"{keyOnly} is a PEM file without a CERTIFICATE block", Refusal(keyOnly, null), StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_or_not_yet_valid_certificate_is_refused()
    {
        using var expired = TestCertificates.Create("old", Now.AddDays(-30), Now.AddDays(-1));
        using var future = TestCertificates.Create("future", Now.AddDays(1), Now.AddDays(30));
        var expiredPath = Write("expired.pem", path => TestCertificates.WritePem(expired, path));
        var futurePath = Write("future.pem", path => TestCertificates.WritePem(future, path));

        Assert.Matches(@"^the certificate in .*expired\.pem is valid from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d UTC, not now: give every silo a new cluster certificate$", Refusal(expiredPath, null));
        Assert.Contains("is valid from", Refusal(futurePath, null), StringComparison.Ordinal);
        Assert.NotNull(ClusterCertificate.Load(expiredPath, null, Now.AddDays(-10)));
    }

    [Fact]
    public void A_certificate_only_for_server_authentication_is_refused_because_every_silo_also_connects_out()
    {
        using var serverOnly = TestCertificates.Create("server-only", usages: [TestCertificates.ServerAuth]);
        var path = Write("server-only.pem", p => TestCertificates.WritePem(serverOnly, p));
        Assert.StartsWith($"the certificate in {path} is not allowed for both TLS server and client authentication", Refusal(path, null), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_unreadable_file_is_refused_saying_so()
    {
        var missing = Path.Combine(_temp.Path, "missing.pfx");
        Assert.StartsWith($"the certificate file {missing} cannot be read: ", Refusal(missing, null), StringComparison.Ordinal);
        var garbage = Write("garbage.pfx", path => File.WriteAllBytes(path, [1, 2, 3, 4, 5]));
        Assert.StartsWith($"{garbage} is neither a PEM file nor a PKCS#12 (.pfx/.p12) file this silo can open: ", Refusal(garbage, null), StringComparison.Ordinal);
    }

    private string Write(string name, Action<string> write)
    {
        var path = Path.Combine(_temp.Path, name);
        write(path);
        return path;
    }

    private static string Refusal(string path, string? password)
    {
        var e = Assert.Throws<OrleansMountException>(() => ClusterCertificate.Load(path, password, Now));
        Assert.Equal(2, e.ExitCode);
        return e.Message;
    }
}
