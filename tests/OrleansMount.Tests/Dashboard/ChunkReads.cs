using System.Globalization;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Dashboard;

/// <summary>Reads every chunk of a snapshot directory through a silo's own API (<c>POST /api/v1/chunks/data</c>), as a mount would.</summary>
public static class ChunkReads
{
    /// <summary>Reads every chunk of the files directly in <paramref name="directory"/>; returns the chunks and bytes read.</summary>
    public static async Task<(int Chunks, long Bytes)> ReadAllAsync(SiloProcess silo, string snapshot, string directory = "")
    {
        var info = await silo.GetJsonAsync<SiloInfo>("api/v1/info");
        var listing = await silo.GetJsonAsync<DirectoryListing>($"api/v1/snapshots/{snapshot}/list?path={Uri.EscapeDataString(directory)}");
        var chunks = 0;
        var bytes = 0L;
        foreach (var item in listing.Items.Where(i => !i.Dir))
        {
            for (var index = 0; (long)index * info.ChunkSize < item.Size; index++)
            {
                var request = new ChunkRequest(item.Address!, item.ETag!, item.Size, index, info.ChunkSize, snapshot, listing.SnapshotId);
                using var response = await silo.PostJsonAsync("api/v1/chunks/data", request);
                Assert.True(response.IsSuccessStatusCode, $"chunk {index} of {item.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.Equal(request.Length, body.Length);
                chunks++;
                bytes += body.Length;
            }
        }

        Assert.True(chunks > 0, $"no files in '{directory}' of {snapshot} ({listing.Items.Count.ToString(CultureInfo.InvariantCulture)} entries)");
        return (chunks, bytes);
    }
}
