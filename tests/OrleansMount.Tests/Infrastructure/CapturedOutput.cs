using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>What a service process printed (stdout and stderr), collected thread-safely for failure messages.</summary>
public sealed class CapturedOutput
{
    private readonly StringBuilder _text = new();

    /// <summary>Collects everything <paramref name="process"/> prints; call before BeginOutputReadLine/BeginErrorReadLine.</summary>
    public void Attach(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_text)
        {
            _text.AppendLine(line);
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.Length == 0 ? "(no output)" : _text.ToString();
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback TCP port that was free a moment ago and that this test run has not handed out before: the kernel
    /// may give a just-closed ephemeral port again, and a silo given the same port for two listeners (say --listen
    /// and --silo-port) refuses to start.
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }

                if (attempt >= 1000)
                {
                    throw new InvalidOperationException($"no loopback port left that this test run has not handed out ({HandedOut.Count} handed out)");
                }
            }
        }
    }
}
