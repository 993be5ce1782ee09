using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrleansMount.Core;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount ls NAME [PATH] [--catalog URI] [--json]</c></summary>
internal static class LsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The snapshot." };
        var path = new Argument<string>("PATH") { Description = "A directory (or file) inside the snapshot; default the root.", DefaultValueFactory = _ => "" };
        var catalog = Cli.CatalogOption("The catalog holding the snapshot.");
        var json = Cli.JsonOption();
        var verbose = Cli.VerboseOption();
        var command = new Command("ls", "List one directory level of a snapshot, like 'ls -l': type, size, modification time, name.")
        {
            name, path, catalog, json, verbose,
        };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            using var loggers = Cli.CreateLoggerFactory(parse.GetValue(verbose));
            using var snapshots = SnapshotCatalog.Open(Cli.ResolveCatalog(parse.GetValue(catalog)));
            var work = Directory.CreateTempSubdirectory("orleansmount-ls-");
            try
            {
                using var store = new MetadataStore(work.FullName, snapshots, loggers.CreateLogger("metadata"));
                var snapshotName = parse.GetValue(name)!;
                var view = await store.OpenSnapshotAsync(snapshotName, cancellationToken).ConfigureAwait(false);
                var directory = PathRules.NormalizeDirectory(parse.GetValue(path) ?? "");
                var items = await view.ListDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
                if (items is null)
                {
                    var file = await view.GetFileAsync(directory, cancellationToken).ConfigureAwait(false)
                        ?? throw new OrleansMountException($"no such file or directory '{parse.GetValue(path)}' in snapshot '{snapshotName}'", 4);
                    items = [new DirectoryItem(Path.GetFileName(directory), file)];
                }

                Print(items, view.Record.CreatedAt, parse.GetValue(json));
                return 0;
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }));
        return command;
    }

    private static void Print(IReadOnlyList<DirectoryItem> items, DateTimeOffset directoryTime, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(items.Select(i => new LsItem(
                i.Name,
                i.IsDirectory ? "dir" : "file",
                i.Entry?.Size ?? 0,
                (i.Entry?.ModifiedTime ?? directoryTime).ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)))));
            return;
        }

        var width = Math.Max(1, items.Count == 0 ? 1 : items.Max(i => (i.Entry?.Size ?? 0).ToString(CultureInfo.InvariantCulture).Length));
        foreach (var item in items)
        {
            var time = (item.Entry?.ModifiedTime ?? directoryTime).UtcDateTime;
            var size = (item.Entry?.Size ?? 0).ToString(CultureInfo.InvariantCulture).PadLeft(width);
            Console.WriteLine($"{(item.IsDirectory ? 'd' : '-')} {size} {time:yyyy-MM-dd HH:mm} {item.Name}{(item.IsDirectory ? "/" : "")}");
        }
    }

    private sealed record LsItem(
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("size")] long Size,
        [property: System.Text.Json.Serialization.JsonPropertyName("mtime")] string Mtime);
}
