using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Grains.Ranges;

/// <summary>
/// One range or metarange file kept on its owner (one instance per file and silo, <see cref="RangeFiles"/>): the
/// file's exact bytes in the owner's range directory, read from the catalog once (single-flight) however many silos
/// ask, so peers copy it from here instead of each reading the catalog.
/// <para>
/// Integrity: beside <c>range-ID.sst</c> a <c>range-ID.check</c> file records the length and CRC32C
/// of the bytes fetched. Every read checks the file against it; a truncated or damaged file (or one
/// without its check file, left by a crash) is deleted, counted in
/// <see cref="NodeCounters.RangeCorruptions"/> and read from the catalog again, never sent to a peer.
/// </para>
/// </summary>
public sealed class RangeFile
{
    private const string CheckVersion = "v1";
    private readonly CatalogFile _file;
    private readonly SnapshotCatalog _catalog;
    private readonly string _path;
    private readonly string _checkPath;
    private readonly NodeCounters _counters;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task? _fill;
    private long _fillsStarted;

    public RangeFile(CatalogFile file, SnapshotCatalog catalog, string directory, NodeCounters counters, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
        _catalog = catalog;
        _path = PathIn(directory, file);
        _checkPath = Path.ChangeExtension(_path, CheckExtension);
        _counters = counters;
        _logger = logger;
    }

    /// <summary>The extension of the file that records a range file's length and CRC32C.</summary>
    public const string CheckExtension = ".check";

    /// <summary>Where the owner keeps a range file: <c>DIR/range-ID.sst</c> or <c>DIR/metarange-ID.sst</c>.</summary>
    public static string PathIn(string directory, CatalogFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Path.Combine(directory, $"{file.Kind.ToString().ToLowerInvariant()}-{file.Id}.sst");
    }

    /// <summary>
    /// The file's bytes, checked. A file found missing or damaged is filled from the catalog, at most twice per call; a
    /// file is judged damaged only when no fill ran while it was read (a fill in progress renames the file into place
    /// before it writes the check file, which is not damage).
    /// </summary>
    public async Task<byte[]> ReadAsync(CancellationToken cancellationToken)
    {
        var fills = 0;
        while (true)
        {
            Task? fill;
            long started;
            lock (_lock)
            {
                fill = _fill is { IsCompleted: false } ? _fill : null;
                started = _fillsStarted;
            }

            if (fill is null)
            {
                if (TryReadChecked(out var problem) is { } bytes)
                {
                    return bytes;
                }

                lock (_lock)
                {
                    if (_fillsStarted == started)
                    {
                        // No fill ran while the file was read: what was seen is the file's state.
                        if (problem is not null)
                        {
                            _counters.RangeCorrupted();
                            _logger.LogWarning("Range file {Path} is damaged ({Problem}); deleted it, reading {File} from the catalog again", _path, problem, _file);
                            Delete();
                        }

                        if (fills == 2)
                        {
                            throw new IOException($"{_file} read from the catalog did not pass its check at {_path} after 3 attempts");
                        }

                        _fill = FillAsync();
                        _fillsStarted++;
                        fills++;
                    }

                    fill = _fill!;
                }
            }

            await fill.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The file's bytes if present and matching its check file; else null, with the problem when it was present but bad.</summary>
    private byte[]? TryReadChecked(out string? problem)
    {
        problem = null;
        byte[] bytes;
        string check;
        try
        {
            bytes = File.ReadAllBytes(_path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            check = File.ReadAllText(_checkPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = "no check file";
            return null;
        }

        var crc = ChunkChecksum.Compute(bytes);
        var expected = $"{CheckVersion} {bytes.Length.ToString(CultureInfo.InvariantCulture)} {crc.ToString("x8", CultureInfo.InvariantCulture)}";
        if (!string.Equals(check.Trim(), expected, StringComparison.Ordinal))
        {
            problem = $"{bytes.Length} bytes with CRC32C {crc:x8}, recorded '{check.Trim()}'";
            return null;
        }

        return bytes;
    }

    private void Delete()
    {
        File.Delete(_path);
        File.Delete(_checkPath);
    }

    private async Task FillAsync()
    {
        await Task.Yield();
        try
        {
            // DownloadAsync writes a temp file and renames it: a reader never sees a partial file.
            await _catalog.DownloadAsync(_file.Key, _path, CancellationToken.None).ConfigureAwait(false);
            var bytes = await File.ReadAllBytesAsync(_path).ConfigureAwait(false);
            var temp = _checkPath + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            await File.WriteAllTextAsync(temp, $"{CheckVersion} {bytes.Length.ToString(CultureInfo.InvariantCulture)} {ChunkChecksum.Compute(bytes).ToString("x8", CultureInfo.InvariantCulture)}\n").ConfigureAwait(false);
            File.Move(temp, _checkPath, overwrite: true);
            _counters.RangeFromCatalog();
        }
        catch (Exception e)
        {
            _logger.LogWarning("reading {File} from the catalog failed: {Message}", _file, e.Message);
            throw;
        }
    }
}
