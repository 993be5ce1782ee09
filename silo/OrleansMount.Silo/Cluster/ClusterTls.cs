using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;
using OrleansMount.Core.Security;
using OrleansMount.Grains.Runtime;

namespace OrleansMount.Silo.Cluster;

/// <summary>
/// Mutual TLS on Orleans' silo-to-silo connections (<c>--tls-certificate</c>, <c>Microsoft.Orleans.Connections.Security</c>):
/// every silo presents the cluster certificate when it accepts a connection and when it opens one, requires the
/// peer's, and accepts the peer only if it is the same certificate (<see cref="ClusterCertificate.Matches"/>).
/// The platform's chain and name checks are not consulted (the certificate is usually self-signed and names no
/// host); its validity was checked at start. A refused certificate is counted (<c>tlsRejected</c>) and logged at
/// most once a minute. A peer that speaks no TLS at all fails inside the handshake, before any certificate: Orleans
/// logs that at Debug only, and the silo without TLS cannot join (it logs why).
/// </summary>
public sealed class ClusterTls
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);
    private readonly ClusterCertificate _certificate;
    private readonly NodeCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _warnedAt;
    private long _rejectedSinceWarning;

    public ClusterTls(ClusterCertificate certificate, NodeCounters counters, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        _certificate = certificate;
        _counters = counters;
        _logger = logger;
        _time = time;
        _warnedAt = time.GetTimestamp() - (long)(time.TimestampFrequency * WarningInterval.TotalSeconds);
    }

    /// <summary>Silo inbound, silo outbound (and the gateway, which OrleansMount does not open) over TLS with the cluster certificate.</summary>
    public void Configure(ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.UseTls(_certificate.Certificate, tls =>
        {
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (peer, _, _) => Accept(peer);
        });
    }

    /// <summary>True for the cluster certificate; anything else is counted, logged (rate-limited) and refused.</summary>
    public bool Accept(X509Certificate2 peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (_certificate.Matches(peer))
        {
            return true;
        }

        _counters.TlsRejected();
        var rejected = Interlocked.Increment(ref _rejectedSinceWarning);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _warnedAt);
        if (_time.GetElapsedTime(last, now) >= WarningInterval && Interlocked.CompareExchange(ref _warnedAt, now, last) == last)
        {
            Interlocked.Add(ref _rejectedSinceWarning, -rejected);
            _logger.LogWarning(
                "refused a silo-to-silo connection: the peer presented the certificate {Subject} (SHA-256 {Fingerprint}), not the cluster certificate (SHA-256 {Cluster}); {Count} refused since the last such warning. Give every silo the same --tls-certificate",
                peer.Subject,
                ClusterCertificate.FingerprintOf(peer),
                _certificate.Fingerprint,
                rejected);
        }

        return false;
    }
}
