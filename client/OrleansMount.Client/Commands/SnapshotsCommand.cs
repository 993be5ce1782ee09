using OrleansMount.Core;
using System.CommandLine;
using System.Text.Json;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount snapshots [--catalog URI] [--json]</c></summary>
internal static class SnapshotsCommand
{
    public static Command Create()
    {
        var catalog = Cli.CatalogOption("The catalog to list.");
        var json = Cli.JsonOption();
        var command = new Command("snapshots", "List the snapshots of a catalog.") { catalog, json };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            using var snapshots = SnapshotCatalog.Open(Cli.ResolveCatalog(parse.GetValue(catalog)));
            var records = new List<SnapshotRecord>();
            await foreach (var record in snapshots.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false))
            {
                records.Add(record);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(records));
                return 0;
            }

            if (records.Count == 0)
            {
                Console.Error.WriteLine($"no snapshots in {snapshots.Location}");
                return 0;
            }

            var width = Math.Max(4, records.Max(r => r.Name.Length));
            Console.WriteLine($"{"NAME".PadRight(width)}  {"ID",-32}  {"ENTRIES",10}  {"BYTES",10}  {"CREATED",-20}  SOURCE");
            foreach (var r in records)
            {
                Console.WriteLine($"{r.Name.PadRight(width)}  {r.Id,-32}  {r.Entries,10}  {ByteSize.Format(r.Bytes),10}  {r.CreatedAt.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss}  {r.Source}");
            }

            return 0;
        }));
        return command;
    }
}
