using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Grains.Ranges;

/// <summary>
/// The activation of one range or metarange file on its owner: keeps the file's exact bytes in the
/// owner's range directory, read from the catalog once (single-flight) however many silos ask, so
/// peers copy it from here instead of each reading the catalog.
/// </summary>
public sealed class RangeGrain : IRangeGrain
{
    private readonly CatalogFile _file;
    private readonly SnapshotCatalog _catalog;
    private readonly string _path;
    private readonly NodeCounters _counters;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<string>? _fill;

    public RangeGrain(CatalogFile file, SnapshotCatalog catalog, string directory, NodeCounters counters, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
        _catalog = catalog;
        _path = PathIn(directory, file);
        _counters = counters;
        _logger = logger;
    }

    public bool IsBusy => _fill is { IsCompleted: false };

    /// <summary>Where the owner keeps a range file: <c>DIR/range-ID.sst</c> or <c>DIR/metarange-ID.sst</c>.</summary>
    public static string PathIn(string directory, CatalogFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Path.Combine(directory, $"{file.Kind.ToString().ToLowerInvariant()}-{file.Id}.sst");
    }

    /// <summary>The path of the file's bytes on this node, reading it from the catalog first if needed.</summary>
    public Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(_path))
        {
            return Task.FromResult(_path);
        }

        Task<string> fill;
        lock (_lock)
        {
            if (_fill is null || (_fill.IsCompleted && !File.Exists(_path)))
            {
                _fill = FillAsync();
            }

            fill = _fill;
        }

        return fill.WaitAsync(cancellationToken);
    }

    private async Task<string> FillAsync()
    {
        await Task.Yield();
        try
        {
            // DownloadAsync writes a temp file and renames it: a reader never sees a partial file.
            await _catalog.DownloadAsync(_file.Key, _path, CancellationToken.None).ConfigureAwait(false);
            _counters.RangeFromCatalog();
            return _path;
        }
        catch (Exception e)
        {
            _logger.LogWarning("reading {File} from the catalog failed: {Message}", _file, e.Message);
            throw;
        }
    }
}
