using OrleansMount.Core;
using System.CommandLine;
using System.Diagnostics;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Import;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount import SOURCE --snapshot NAME [--catalog URI] [--replace]</c></summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("SOURCE") { Description = "What to import: s3://BUCKET/PREFIX or file:///DIR. Every object under it becomes a file of the snapshot." };
        var snapshot = new Option<string>("--snapshot", "-s") { Description = "Name of the snapshot to create (letters, digits, '-', '_', '.').", Required = true, HelpName = "NAME" };
        var catalog = Cli.CatalogOption("Where snapshot metadata is written. Default: .orleansmount/ at the root of SOURCE's bucket or directory, unless set.");
        var replace = new Option<bool>("--replace") { Description = "Point an existing snapshot name at this new import." };
        var workDir = new Option<string?>("--work-dir")
        {
            Description = "Where the import keeps its temporary files (the sorted listing of a large source: about 70 bytes per object; range files before upload). Removed when the import ends. Default: the system temp directory ($TMPDIR).",
            HelpName = "DIR",
        };
        var verbose = Cli.VerboseOption();
        var command = new Command("import", "Import an S3 prefix (or a directory) once as an immutable snapshot: its listing becomes sorted range files in the catalog.")
        {
            source, snapshot, catalog, replace, workDir, verbose,
        };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            var sourceUri = StoreUri.Parse(parse.GetValue(source)!);
            var catalogUri = Cli.ResolveCatalog(parse.GetValue(catalog), sourceUri);
            using var loggers = Cli.CreateLoggerFactory(parse.GetValue(verbose));
            using var store = ObjectStoreFactory.Open(sourceUri);
            using var snapshots = catalogUri.Scheme == sourceUri.Scheme && catalogUri.Bucket == sourceUri.Bucket
                ? new SnapshotCatalog(store, catalogUri)
                : SnapshotCatalog.Open(catalogUri);
            var importer = new SnapshotImporter(store, sourceUri, snapshots, loggers.CreateLogger("import"), workDirectory: parse.GetValue(workDir));
            var progress = new ImportProgressPrinter();
            var result = await importer.ImportAsync(parse.GetValue(snapshot)!, parse.GetValue(replace), progress, cancellationToken).ConfigureAwait(false);
            progress.Finish();
            var record = result.Snapshot;
            Console.WriteLine($"snapshot {record.Name} {record.Id}");
            Console.WriteLine($"  source    {record.Source}");
            Console.WriteLine($"  catalog   {snapshots.Location}");
            Console.WriteLine($"  entries   {record.Entries}");
            Console.WriteLine($"  bytes     {record.Bytes} ({ByteSize.Format(record.Bytes)})");
            Console.WriteLine($"  ranges    {record.Ranges} ({ByteSize.Format(result.CatalogBytes)} of range and metarange files, {result.RangesUploaded} of them new to the catalog)");
            if (record.Skipped.Count > 0)
            {
                Console.WriteLine($"  skipped   {string.Join(", ", record.Skipped.Select(kv => $"{kv.Value} {kv.Key}"))}");
            }

            Console.WriteLine($"  took      {result.Elapsed.TotalSeconds:0.00} s");
            return 0;
        }));
        return command;
    }

    /// <summary>Progress on stderr: a live line on a terminal, a line every few seconds otherwise.</summary>
    private sealed class ImportProgressPrinter : IProgress<ImportProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly bool _live = !Console.IsErrorRedirected;
        private TimeSpan _lastPrinted;
        private bool _printed;

        public void Report(ImportProgress value)
        {
            var interval = _live ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5);
            if (_clock.Elapsed - _lastPrinted < interval)
            {
                return;
            }

            _lastPrinted = _clock.Elapsed;
            var line = value.Phase == ImportPhase.Listing
                ? $"listing: {value.ObjectsListed} objects, {ByteSize.Format(value.Bytes)}, {value.ObjectsListed / Math.Max(0.001, _clock.Elapsed.TotalSeconds):0} objects/s"
                : $"writing ranges: {value.Entries} of {value.ObjectsListed} objects, {ByteSize.Format(value.Bytes)}, {value.Ranges} ranges";
            Console.Error.Write(_live ? "\r" + line + "   " : line + Environment.NewLine);
            _printed = true;
        }

        public void Finish()
        {
            if (_printed && _live)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
