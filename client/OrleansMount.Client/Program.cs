using System.CommandLine;
using OrleansMount.Client.Commands;

var root = new RootCommand("OrleansMount: a read-only, cluster-wide cache that mounts immutable snapshots of S3 datasets for training.\nDocs: README.md and docs/ in the source tree.");
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(SnapshotsCommand.Create());
root.Subcommands.Add(LsCommand.Create());
root.Subcommands.Add(MountCommand.Create());
root.Subcommands.Add(UmountCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(PrefetchCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
