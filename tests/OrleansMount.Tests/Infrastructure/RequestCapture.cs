using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP/1.1 target that records the first request exactly as it arrived on the wire
/// (request line, headers, body) and answers 200 with an empty body: to see what a proxy forwards.
/// </summary>
public sealed class RequestCapture : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public RequestCapture()
    {
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        Request = CaptureAsync();
    }

    public string Endpoint { get; }

    /// <summary>The first request received.</summary>
    public Task<CapturedRequest> Request { get; }

    public void Dispose() => _listener.Dispose();

    private async Task<CapturedRequest> CaptureAsync()
    {
        using var client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
        var stream = client.GetStream();
        var received = new List<byte>();
        var buffer = new byte[64 * 1024];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(received)) < 0)
        {
            var n = await stream.ReadAsync(buffer).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("connection closed before the request headers ended");
            }

            received.AddRange(buffer.AsSpan(0, n));
        }

        var lines = Encoding.ASCII.GetString(received.GetRange(0, headerEnd).ToArray()).Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
        var body = received.Skip(headerEnd + 4).ToList();
        while (body.Count < length)
        {
            var n = await stream.ReadAsync(buffer).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"connection closed after {body.Count} of {length} body bytes");
            }

            body.AddRange(buffer.AsSpan(0, n));
        }

        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray()).ConfigureAwait(false);
        byte[] bodyBytes = [.. body.Take(length)];
        return new CapturedRequest(lines[0], headers, bodyBytes, [.. received.Take(headerEnd + 4), .. bodyBytes]);
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
