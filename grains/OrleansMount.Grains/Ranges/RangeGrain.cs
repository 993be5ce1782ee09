using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansMount.Grains.Cluster;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Grains.Ranges;

/// <summary>The Orleans grain of one catalog file, placed on its owner; the file and its checks are <see cref="RangeFile"/>'s.</summary>
[RendezvousPlacement, Reentrant]
public sealed class RangeGrain(NodeResources node, ClusterView view, ILogger<RangeGrain> logger) : OwnedGrain(view), IRangeGrain
{
    private RangeFile? _file;

    public async Task<string> EnsureAsync(CatalogFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (GrainKeys.Range(new Core.RangeId(file.Id)) != this.GetPrimaryKeyString())
        {
            throw new ArgumentException($"{file} sent to the activation of {this.GetPrimaryKeyString()}", nameof(file));
        }

        _file ??= node.RangeFiles.Of(file, logger);
        await _file.ReadAsync(CancellationToken.None).ConfigureAwait(true);
        return View.SiloId;
    }

    public Task RecheckOwnerAsync() => RecheckAsync();

    protected override Task RecheckThroughGrainCall(IGrainFactory factory, string key) => factory.GetGrain<IRangeGrain>(key).RecheckOwnerAsync();
}
