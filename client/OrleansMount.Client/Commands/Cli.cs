using System.CommandLine;
using Microsoft.Extensions.Logging;
using OrleansMount.Core;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.ObjectStores;
using Serilog;
using Serilog.Extensions.Logging;

namespace OrleansMount.Client.Commands;

/// <summary>What every command shares: the catalog option, logging to stderr, and turning errors into messages and exit codes.</summary>
internal static class Cli
{
    public const string CatalogEnvironmentVariable = "ORLEANSMOUNT_CATALOG";

    public static Option<string?> CatalogOption(string description) => new("--catalog")
    {
        Description = description + $" Default: ${CatalogEnvironmentVariable}.",
        HelpName = "URI",
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table." };

    public static Option<bool> VerboseOption() => new("--verbose", "-v") { Description = "Log details to stderr." };

    /// <summary>The catalog named by --catalog, else $ORLEANSMOUNT_CATALOG, else the default for <paramref name="source"/>.</summary>
    public static StoreUri ResolveCatalog(string? option, StoreUri? source = null)
    {
        var text = option ?? Environment.GetEnvironmentVariable(CatalogEnvironmentVariable);
        if (!string.IsNullOrEmpty(text))
        {
            return StoreUri.Parse(text);
        }

        return source is not null
            ? SnapshotCatalog.DefaultFor(source)
            : throw new OrleansMountException($"no catalog given: pass --catalog URI (e.g. s3://bucket/.orleansmount/) or set {CatalogEnvironmentVariable}", 2);
    }

    public static ILoggerFactory CreateLoggerFactory(bool verbose)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? Serilog.Events.LogEventLevel.Debug : Serilog.Events.LogEventLevel.Warning)
            .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose, outputTemplate: "{Level:u3}: {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        return new SerilogLoggerFactory(logger, dispose: true);
    }

    /// <summary>Runs a command body; a user error becomes "orleansmount: MESSAGE" on stderr and its exit code.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (OrleansMountException e)
        {
            await Console.Error.WriteLineAsync($"orleansmount: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("orleansmount: cancelled").ConfigureAwait(false);
            return 130;
        }
    }
}
