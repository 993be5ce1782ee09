using System.CommandLine;
using System.Text.Json;
using OrleansMount.Client.Mount;
using OrleansMount.Core;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount status [--silo ADDRESS] [--json]</c>: the silo's cache and traffic (cluster members arrive with membership).</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var silo = MountCommand.SiloOption();
        var json = Cli.JsonOption();
        var command = new Command("status", "Show a silo: its cache use, chunk and range counts, and object-store traffic.") { silo, json };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            using var client = new SiloClient(parse.GetValue(silo)!, TimeSpan.FromSeconds(10));
            var info = await client.GetInfoAsync(cancellationToken).ConfigureAwait(false);
            var stats = await client.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { info, stats }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
                return 0;
            }

            var used = stats.CacheCapacityBytes == 0 ? 0 : 100.0 * stats.CacheUsedBytes / stats.CacheCapacityBytes;
            Console.WriteLine($"silo        {info.SiloId} (version {info.Version}, up since {info.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)");
            Console.WriteLine($"address     {info.Listen ?? "-"}  socket {info.Socket}");
            Console.WriteLine($"catalog     {info.Catalog}");
            Console.WriteLine($"cache       {ByteSize.Format(stats.CacheUsedBytes)} of {ByteSize.Format(stats.CacheCapacityBytes)} ({used:0.0}%), {stats.Chunks} chunks of {ByteSize.Format(info.ChunkSize)}, {stats.Evictions} evicted, {stats.CorruptionsDetected} corrupt found");
            Console.WriteLine($"metadata    {stats.RangesFetched} range files fetched");
            Console.WriteLine($"reads       {stats.LocalHits} local hits, {stats.Fills} fills ({stats.UncachedFills} not cacheable, {stats.FillErrors} failed), {stats.ChunkActivations} chunk activations");
            Console.WriteLine($"object store {stats.ObjectStoreGets} GETs, {ByteSize.Format(stats.ObjectStoreBytes)}");
            return 0;
        }));
        return command;
    }
}
