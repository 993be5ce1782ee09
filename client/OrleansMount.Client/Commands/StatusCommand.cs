using System.CommandLine;
using System.Text.Json;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Commands;

/// <summary><c>orleansmount status [--silo ADDRESS] [--json]</c>: the silo's cache and traffic, and the cluster's members when there is more than one.</summary>
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
            // The dashboard's own JSON (GET /api/v1/node); a silo from before it answers /info and /stats only.
            NodeReport? report = null;
            try
            {
                report = await client.GetNodeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SiloException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
            }

            var info = report?.Info ?? await client.GetInfoAsync(cancellationToken).ConfigureAwait(false);
            var stats = report?.Stats ?? await client.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            SiloMembers? members = null;
            try
            {
                members = await client.GetMembersAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SiloException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
                // A silo from before membership: no members to show.
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { info, stats, members, reads = report?.Reads, activations = report?.Activations, errorsTotal = report?.ErrorsTotal, recentErrors = report?.RecentErrors, mounts = report?.Mounts }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
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
            Console.WriteLine($"peers       {stats.PeerFetches} chunks copied from owners, {ByteSize.Format(stats.PeerBytes)}, {stats.OwnerFallbacks} owner fallbacks");
            if (stats.Prefetch is { } prefetch)
            {
                Console.WriteLine($"prefetch    {prefetch.ChunksFetched} chunks filled as owner ({ByteSize.Format(prefetch.BytesFetched)}), {prefetch.ChunksSkipped} already cached, {prefetch.ChunksFailed} failed; {prefetch.JobsRunning} jobs running here, {prefetch.SlotsInUse}/{prefetch.Slots} slots busy");
            }

            if (stats.Readahead is { } ahead)
            {
                Console.WriteLine($"readahead   {ahead.Requests} requests, {ahead.ChunksAccepted} chunks fetched ahead ({ByteSize.Format(ahead.BytesFilled)}), {ahead.ChunksDropped} dropped, {ahead.InFlight}/{ahead.MaxInFlight} in flight");
            }

            if (report is not null)
            {
                Console.WriteLine($"tiers       {string.Join(", ", report.Reads.Select(t => $"{TierName(t.Tier)} {t.Reads} reads ({100 * t.Ratio:0.0}%) {ByteSize.Format(t.Bytes)}"))}");
                Console.WriteLine($"activations {string.Join(", ", report.Activations.Select(a => $"{a.GrainType} {a.Active}"))}");
                var last = report.RecentErrors.Count > 0 ? $"; newest: [{report.RecentErrors[0].Kind}] {report.RecentErrors[0].Message}" : "";
                Console.WriteLine($"errors      {report.ErrorsTotal} warnings and errors logged{last}");
                PrintMounts(report.Mounts);
            }

            if (members is { Members.Count: > 1 })
            {
                var now = DateTimeOffset.UtcNow;
                Console.WriteLine();
                Console.WriteLine($"members     cluster {members.Cluster}, {members.Members.Count} silos (view version {members.Version})");
                Console.WriteLine($"  {"SILO",-24} {"ADDRESS",-28} {"STATUS",-13} {"CAPACITY",10} {"HEARTBEAT",10}");
                foreach (var m in members.Members)
                {
                    var self = m.SiloId == members.Self ? " *" : "";
                    Console.WriteLine($"  {m.SiloId + self,-24} {m.Address,-28} {m.Status,-13} {ByteSize.Format(m.CapacityBytes),10} {Math.Max(0, (now - m.HeartbeatAt).TotalSeconds),8:0.0} s");
                }
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The node's registered mounts; one that cannot read the chunk files gets the silo's warning line.</summary>
    private static void PrintMounts(IReadOnlyList<MountStatus>? mounts)
    {
        if (mounts is null)
        {
            return; // a silo from before mount registration
        }

        if (mounts.Count == 0)
        {
            Console.WriteLine("mounts      none registered");
            return;
        }

        foreach (var m in mounts)
        {
            var mount = m.Mount;
            Console.WriteLine(m.Warning is { } warning
                ? $"mount       WARNING {warning} (snapshot {mount.Snapshot}, pid {mount.Pid})"
                : $"mount       {mount.Mountpoint} (snapshot {mount.Snapshot}, pid {mount.Pid}): chunk files read directly from {mount.ChunkDirectory}");
        }
    }

    private static string TierName(string tier) => tier switch
    {
        "local" => "local disk",
        "object_store" => "object store",
        _ => tier,
    };
}
