namespace OrleansMount.Client.Commands;

/// <summary>
/// The runtime settings a long-lived mount process runs with: tiered compilation off, so the read path is compiled
/// optimised on first use instead of at tier 0 and then again while the first epoch runs
/// (docs/decisions/0008-runtime-settings.md); and a 4 MiB gen0 budget, so the garbage of listing pages and lookups
/// does not keep tens of MiB committed after a walk (docs/decisions/0023-mount-inode-table.md). The GC reads
/// GCgen0size from the environment only (a runtimeconfig.json setting is not honoured), hence variables the CLI
/// sets for the mount process it starts. The CLI's short commands keep the defaults.
/// </summary>
internal static class MountRuntime
{
    public const string TieredCompilationVariable = "DOTNET_TieredCompilation";
    public const string TieredCompilationOff = "0";
    public const string Gen0SizeVariable = "DOTNET_GCgen0size";
    public const string Gen0Size = "0x400000";
}
