using System.CommandLine;
using System.Diagnostics;
using OrleansMount.Core;
using OrleansMount.Native.Fuse;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount umount MOUNTPOINT [--lazy]</c></summary>
internal static class UmountCommand
{
    public static Command Create()
    {
        var mountpoint = new Argument<string>("MOUNTPOINT") { Description = "Where the snapshot is mounted." };
        var lazy = new Option<bool>("--lazy", "-l") { Description = "Detach now even if files are open (also clears a stale mount of a crashed process)." };
        var command = new Command("umount", "Unmount a mounted snapshot; the mount process then exits.") { mountpoint, lazy };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            var target = Path.GetFullPath(parse.GetValue(mountpoint)!).TrimEnd('/');
            if (!FuseMounts.IsMounted(target))
            {
                throw new OrleansMountException($"{target} is not mounted", 2);
            }

            if (FuseMounts.IsStale(target))
            {
                // The mount process is gone (killed or crashed): nothing can be open through it that
                // could still be served, so detach it now.
                if (!FuseMounts.LazyUnmount(target))
                {
                    throw new OrleansMountException($"cannot detach the stale mount at {target}: run 'fusermount3 -u -z {target}' as its owner or root", 3);
                }

                Console.WriteLine($"unmounted {target} (a stale mount: its mount process had died)");
                return 0;
            }

            var info = new ProcessStartInfo("fusermount3") { RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(parse.GetValue(lazy) ? "-uz" : "-u");
            info.ArgumentList.Add(target);
            using var process = Process.Start(info) ?? throw new OrleansMountException("fusermount3 could not be started: install the fuse3 package", 3);
            var error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var hint = error.Contains("busy", StringComparison.OrdinalIgnoreCase)
                    ? "files on it are still open: close them, or pass --lazy to detach now"
                    : "pass --lazy to detach a stale mount";
                throw new OrleansMountException($"cannot unmount {target}: {error.Trim()} ({hint})", 3);
            }

            Console.WriteLine($"unmounted {target}");
            return 0;
        }));
        return command;
    }
}
