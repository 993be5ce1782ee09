using System.CommandLine;
using OrleansMount.Client.Commands;

// Two malloc arenas instead of glibc's 8 per core, as in the silo (decision 0024): a mount answering the kernel on many
// threads kept freed native memory in each thread's arena (MountScaleTests measured +817-931 B/file over a walk of
// 200,000 files once the walk got faster, under 600 with two). MALLOC_ARENA_MAX in the environment still decides.
OrleansMount.Native.Memory.MallocArenas.Limit(2);

var root = new RootCommand("OrleansMount: a read-only, cluster-wide cache that mounts immutable snapshots of S3 datasets for training.\nDocs: README.md and docs/ in the source tree.");
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(SnapshotsCommand.Create());
root.Subcommands.Add(LsCommand.Create());
root.Subcommands.Add(MountCommand.Create());
root.Subcommands.Add(UmountCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(PrefetchCommand.Create());

// System.CommandLine ends the process 2 s after SIGTERM or Ctrl+C by default: a foreground mount unmounting and
// deregistering from its silo, or an import waiting for its uploads in flight before removing its work directory,
// may need longer. Each bounds its own cleanup; this only catches one that hangs.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) }).ConfigureAwait(false);
