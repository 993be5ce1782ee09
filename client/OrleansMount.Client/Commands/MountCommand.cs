using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Native.Fuse;
using OrleansMount.Native.Memory;
using Serilog;
using Serilog.Extensions.Logging;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount mount NAME MOUNTPOINT</c>: background by default (returns once the mount is ready).</summary>
internal static class MountCommand
{
    private const string ReadyLine = "ORLEANSMOUNT-READY";

    /// <summary>Set for the re-run child of a background mount: where it logs once detached.</summary>
    private const string BackgroundLogVariable = "ORLEANSMOUNT_BACKGROUND_LOG";

    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The snapshot to mount." };
        var mountpoint = new Argument<string>("MOUNTPOINT") { Description = "An existing empty directory." };
        var path = new Option<string>("--path") { Description = "Mount only this directory of the snapshot.", DefaultValueFactory = _ => "", HelpName = "SUBDIR" };
        var silo = SiloOption();
        var foreground = new Option<bool>("--foreground", "-f") { Description = "Stay in the foreground (logs to stderr; SIGINT/SIGTERM unmounts)." };
        var allowOther = new Option<bool>("--allow-other") { Description = "Let other users (e.g. training containers) read the mount (needs user_allow_other in /etc/fuse.conf unless root)." };
        var uid = new Option<uint?>("--uid") { Description = "Owner shown for every file. Default: the mounting user." };
        var gid = new Option<uint?>("--gid") { Description = "Group shown for every file. Default: the mounting user's group." };
        var fileMode = new Option<string>("--file-mode") { Description = "Octal permission bits of files (directories add x where r is set).", DefaultValueFactory = _ => "0444", HelpName = "MODE" };
        var threads = new Option<int>("--threads") { Description = "libfuse worker threads.", DefaultValueFactory = _ => 16 };
        var logFile = new Option<string?>("--log-file") { Description = "Where a background mount logs. Default: /tmp/orleansmount-mount-<mountpoint>.log.", HelpName = "FILE" };
        var readahead = new Option<int>("--readahead") { Description = "Chunks fetched ahead of a sequential reader, per open file (0: off).", DefaultValueFactory = _ => 16, HelpName = "CHUNKS" };
        var readaheadFiles = new Option<int>("--readahead-files") { Description = "Files whose first chunk is fetched ahead when readers open files in name order (a copy, tar, a sorted index); 0: off.", DefaultValueFactory = _ => 32, HelpName = "FILES" };
        var readaheadBack = new Option<int>("--readahead-back") { Description = "Chunk files kept open behind a reader's current chunk.", DefaultValueFactory = _ => 2, HelpName = "CHUNKS" };
        var streamMemory = new Option<string>("--stream-memory") { Description = "Memory for chunks streamed from the silo while it fills them, so a cold read returns before the chunk is whole on disk (0: off; reads then wait for the chunk file).", DefaultValueFactory = _ => "64MiB", HelpName = "SIZE" };
        var noMetadataPrefetch = new Option<bool>("--no-metadata-prefetch") { Description = "Do not fetch the metadata of the mounted path in the background once mounted." };
        var noWarmUp = new Option<bool>("--no-warm-up") { Description = "Do not prefetch the mounted path once readers are evidently walking it cold (32 files read from the object store in 2 or more directories; only when the snapshot fits in half of the silo's cache)." };
        var xattrs = new Option<bool>("--xattrs") { Description = "Answer extended attributes (user.orleansmount.identity and .address of each file). Off by default: then the kernel stops asking after the first call, and 'ls -l' or 'cp -a' walks make no calls to the mount for them." };
        var command = new Command("mount", "Mount a snapshot read-only with FUSE. Returns once the mount is ready; unmount with 'orleansmount umount MOUNTPOINT'.")
        {
            name, mountpoint, path, silo, foreground, allowOther, uid, gid, fileMode, threads, logFile, readahead, readaheadFiles, readaheadBack, streamMemory, noMetadataPrefetch, noWarmUp, xattrs,
        };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            var target = Path.GetFullPath(parse.GetValue(mountpoint)!);
            CheckMountpoint(target);
            var mode = ParseMode(parse.GetValue(fileMode)!);
            if (parse.GetValue(readahead) is < 0 or > 1024 || parse.GetValue(readaheadBack) is < 0 or > 1024)
            {
                throw new OrleansMountException("--readahead and --readahead-back must be from 0 to 1024 chunks", 2);
            }

            if (parse.GetValue(readaheadFiles) is < 0 or > Grains.Chunks.FileReadaheadRequest.MaxFiles)
            {
                throw new OrleansMountException("--readahead-files must be from 0 to 1000 files", 2);
            }

            if (!ByteSize.TryParse(parse.GetValue(streamMemory)!, out var streamBytes) || streamBytes is < 0 or > 64L << 30)
            {
                throw new OrleansMountException($"--stream-memory '{parse.GetValue(streamMemory)}' must be a size from 0 to 64GiB (e.g. 64MiB; 0 turns streaming off)", 2);
            }

            var log = parse.GetValue(logFile) ?? $"/tmp/orleansmount-mount-{target.Trim('/').Replace('/', '_')}.log";
            if (!parse.GetValue(foreground))
            {
                return await StartInBackgroundAsync(args: Environment.GetCommandLineArgs().Skip(1).ToArray(), log, cancellationToken).ConfigureAwait(false);
            }

            var options = new MountOptions
            {
                SnapshotName = parse.GetValue(name)!,
                RootPath = PathRules.NormalizeDirectory(parse.GetValue(path)!),
                Uid = parse.GetValue(uid) ?? GetId("-u"),
                Gid = parse.GetValue(gid) ?? GetId("-g"),
                FileMode = mode,
                ReadaheadChunks = parse.GetValue(readahead),
                ReadaheadBackChunks = parse.GetValue(readaheadBack),
                ReadaheadFiles = parse.GetValue(readaheadFiles),
                StreamMemory = streamBytes,
                MetadataPrefetch = !parse.GetValue(noMetadataPrefetch),
                WarmUp = !parse.GetValue(noWarmUp),
                ExtendedAttributes = parse.GetValue(xattrs),
            };
            var background = Environment.GetEnvironmentVariable(BackgroundLogVariable);
            return await RunForegroundAsync(options, parse.GetValue(silo)!, target, parse.GetValue(allowOther), parse.GetValue(threads), string.IsNullOrEmpty(background) ? null : background, cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }

    public static Option<string> SiloOption() => new("--silo")
    {
        Description = "The silo: its Unix socket path or http://HOST:PORT. Default: " + NodeDefaults.SocketPath,
        DefaultValueFactory = _ => NodeDefaults.SocketPath,
        HelpName = "ADDRESS",
    };

    private static async Task<int> RunForegroundAsync(MountOptions options, string siloAddress, string target, bool allowOther, int threads, string? logFile, CancellationToken cancellationToken)
    {
        var config = new LoggerConfiguration().MinimumLevel.Information();
        config = logFile is null
            ? config.WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose, outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] mount: {Message:lj}{NewLine}{Exception}")
            : config.WriteTo.File(logFile, outputTemplate: "[{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3}] mount: {Message:lj}{NewLine}{Exception}");
        using var loggers = new SerilogLoggerFactory(config.CreateLogger(), dispose: true);
        var logger = loggers.CreateLogger("mount");

        using var silo = new SiloClient(siloAddress, TimeSpan.FromMinutes(2));
        var info = await silo.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        var record = await silo.GetSnapshotAsync(options.SnapshotName, cancellationToken).ConfigureAwait(false);
        var backend = new SiloBackend(silo, info, options.SnapshotName, record.Id);
        if (!backend.LocalChunks.Available)
        {
            // Silent otherwise: every read would still work, each one a whole chunk copied through the silo.
            logger.LogWarning(
                "chunk files not readable at {Directory} ({Problem}): every read goes through the silo, a whole {ChunkSize} chunk over its socket each time, instead of reading the chunk files already on this node directly (the fast path: no copy through the silo's process and socket). Mount the silo's cache directory into the mount's container at {CacheDirectory}, read-only (docs/operations.md, Troubleshooting)",
                backend.LocalChunks.Directory,
                backend.LocalChunks.Problem,
                ByteSize.Format(info.ChunkSize),
                info.CacheDirectory);
        }

        // Also refuses, with the silo's message, a snapshot imported before inode numbering.
        try
        {
            await backend.ListAsync(options.RootPath, null, 1, cancellationToken).ConfigureAwait(false);
        }
        catch (SiloException e) when (e.Kind == Grains.Protocol.SiloError.NotFound)
        {
            throw new OrleansMountException($"--path '{options.RootPath}' is not a directory of snapshot '{options.SnapshotName}'", 4);
        }

        using var fs = new SnapshotFileSystem(backend, options with { SourceAddress = record.Source }, logger, record.CreatedAt);
        var fuseOptions = $"ro,default_permissions,fsname=orleansmount:{options.SnapshotName},subtype=orleansmount" + (allowOther ? ",allow_other" : "");
        FuseSession session;
        try
        {
            session = FuseSession.Create(fs, target, ["-o", fuseOptions], e => logger.LogError(e, "unhandled error in a FUSE callback"));
        }
        catch (IOException e)
        {
            throw new OrleansMountException($"cannot mount at {target}: {e.Message}", 3, e);
        }

        using (session)
        {
            session.InstallSignalHandlers();
            fs.InvalidateDirectory = ino =>
            {
                var result = session.InvalidateInode(ino);
                if (result is not (0 or -FuseErrno.ENOENT))
                {
                    logger.LogDebug("the kernel did not drop its listing of inode {Ino}: errno {Errno}", ino, -result);
                }
            };
            logger.LogInformation("mounted snapshot {Name} ({Id}) at {Target} from silo {Silo}", options.SnapshotName, record.Id, target, siloAddress);
            Console.Out.WriteLine($"{ReadyLine} mounted {options.SnapshotName} at {target}");
            Console.Out.Flush();
            if (logFile is not null)
            {
                Console.SetOut(TextWriter.Null);
                Console.SetError(TextWriter.Null);
            }

            var loop = new Thread(() => session.Run(threads)) { Name = "fuse-loop", IsBackground = true };
            loop.Start();
            ReadPathCompilation.Start(logger);
            using var idle = new CancellationTokenSource();
            var release = Task.Run(() => ReleaseMemoryWhenIdleAsync(logger, idle.Token), CancellationToken.None);
            if (options.MetadataPrefetch)
            {
                _ = MetadataPrefetch.StartAsync(silo, options.SnapshotName, record.Id, options.RootPath, logger);
            }

            if (options.WarmUp)
            {
                fs.WarmUp = WarmUp.For(silo, options.SnapshotName, record.Id, record.Bytes, options.RootPath, logger);
            }

            // The silo lists its mounts (status, dashboard), with a warning for one that cannot take the fast path.
            var registrar = new MountRegistrar(silo, new Grains.Protocol.MountRegistration(target, options.SnapshotName, record.Id, backend.LocalChunks.Available, backend.LocalChunks.Directory, backend.LocalChunks.Problem, Environment.ProcessId), logger);
            await using (registrar.ConfigureAwait(false))
            {
                await Task.Run(loop.Join, CancellationToken.None).ConfigureAwait(false);
            }

            await idle.CancelAsync().ConfigureAwait(false);
            await release.ConfigureAwait(false);

            logger.LogInformation("unmounted {Target} ({Errors} read errors while mounted; readahead triggered {Triggers} times for {Chunks} chunks, {Dropped} dropped; across files {FileRequests} requests covering {FilesCovered} files; {DirectoryPagesAhead} directory pages fetched ahead, {DirectoryPagesUsed} used; {Lookups} lookups; listings switched between names only and attributes {ListingSwitches} times, {Relisted} directories listed again with attributes at opendir and {Invalidated} while read, {LookupWindows} lookup windows asked and {LookupWindowsAhead} fetched ahead, {DataHerePages} pages listed with attributes as their data was on this node; inode table {Referenced} referenced and {Recent} recent inodes in {TableBytes} bytes)", target, fs.Errors, fs.Readahead.Triggers, fs.Readahead.ChunksRequested, fs.Readahead.Dropped, fs.FileReadahead.Requests, fs.FileReadahead.FilesCovered, fs.DirectoryReadahead.Fetched, fs.DirectoryReadahead.Used, fs.Listing.Lookups, fs.Listing.Switches, fs.Listing.Relisted, fs.Listing.Invalidated, fs.Listing.Windows, fs.Listing.WindowsAhead, fs.Listing.DataHere, fs.InodeTableSize.Referenced, fs.InodeTableSize.Recent, fs.InodeTableSize.Bytes);
        }

        return 0;
    }

    /// <summary>Every 2 s, gives back what a burst of metadata work left behind once the mount is idle (<see cref="IdleMemoryRelease"/>).</summary>
    private static async Task ReleaseMemoryWhenIdleAsync(Microsoft.Extensions.Logging.ILogger logger, CancellationToken stop)
    {
        var release = new IdleMemoryRelease();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var started = Stopwatch.GetTimestamp();
                if (release.Tick())
                {
                    logger.LogDebug("idle after a burst of allocation: memory released in {Milliseconds:F1} ms, RSS now {Rss:N0} bytes", Stopwatch.GetElapsedTime(started).TotalMilliseconds, Environment.WorkingSet);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Re-runs this command in its own session with --foreground, waits for it to report ready, and relays its errors.</summary>
    private static async Task<int> StartInBackgroundAsync(string[] args, string logFile, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Environment.ProcessPath!);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--foreground");
        info.Environment[BackgroundLogVariable] = logFile;
        // A mount process lives as long as its mount: its read path compiled optimised once, not tier 0 then
        // tier 1 during the first epoch (decision 0008); a value the user set wins.
        info.Environment.TryAdd(MountRuntime.TieredCompilationVariable, MountRuntime.TieredCompilationOff);
        // A small gen0 budget: the mount's memory after a walk is its inode table, not GC headroom (decision 0023).
        info.Environment.TryAdd(MountRuntime.Gen0SizeVariable, MountRuntime.Gen0Size);
        using var child = Process.Start(info) ?? throw new OrleansMountException("could not start the mount process");
        child.StandardInput.Close();
        var errors = child.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while (await child.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(ReadyLine, StringComparison.Ordinal))
            {
                Console.WriteLine(line[ReadyLine.Length..].Trim() + $" (pid {child.Id}, log {logFile})");
                return 0;
            }
        }

        await child.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        var message = (await errors.ConfigureAwait(false)).Trim();
        await Console.Error.WriteLineAsync(message.Length > 0 ? message : $"orleansmount: the mount process exited with {child.ExitCode}; see {logFile}").ConfigureAwait(false);
        return child.ExitCode == 0 ? 1 : child.ExitCode;
    }

    private static void CheckMountpoint(string target)
    {
        if (FuseMounts.IsMounted(target) && FuseMounts.IsStale(target))
        {
            throw new OrleansMountException($"{target} is a stale mount: the mount process that served it has died. Run 'orleansmount umount {target}', then mount again", 3);
        }

        if (FuseMounts.IsMounted(target))
        {
            throw new OrleansMountException($"{target} is already mounted: run 'orleansmount umount {target}' first", 3);
        }

        try
        {
            if (!Directory.Exists(target))
            {
                throw new OrleansMountException($"mountpoint {target} does not exist: create the directory first", 2);
            }
        }
        catch (IOException e)
        {
            throw new OrleansMountException($"mountpoint {target} is not usable ({e.Message}); if it is a stale mount run 'orleansmount umount {target}'", 3);
        }
    }

    private static uint ParseMode(string text)
    {
        try
        {
            var mode = Convert.ToUInt32(text, 8);
            if (mode > Convert.ToUInt32("7777", 8))
            {
                throw new FormatException();
            }

            return mode;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new OrleansMountException($"--file-mode '{text}' is not an octal mode like 0444 or 0440", 2);
        }
    }

    private static uint GetId(string flag)
    {
        var info = new ProcessStartInfo("id", flag) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info);
        var text = process?.StandardOutput.ReadToEnd().Trim();
        process?.WaitForExit();
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0;
    }
}
