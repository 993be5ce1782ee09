namespace OrleansMount.Client.Commands;

/// <summary>
/// The runtime setting a long-lived mount process runs with (docs/decisions/0008-runtime-settings.md): tiered
/// compilation off, so the read path is compiled optimised on first use instead of at tier 0 and then again
/// while the first epoch runs. The CLI's short commands keep the fast-starting default.
/// </summary>
internal static class MountRuntime
{
    public const string TieredCompilationVariable = "DOTNET_TieredCompilation";
    public const string TieredCompilationOff = "0";
}
