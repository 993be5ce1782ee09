using System.Diagnostics;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>Stopping the service processes fixtures start (s3rver, redis-server, the latency proxy).</summary>
public static class ServiceProcess
{
    /// <summary>
    /// Kills <paramref name="process"/> by pid (SIGKILL; with <paramref name="entireTree"/> its
    /// children too, e.g. node under the s3rver launcher), waits up to 5 s and disposes it. A
    /// process already gone, or null, is fine.
    /// </summary>
    public static void Kill(Process? process, bool entireTree)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireTree);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }
}
