using System.Buffers;
using Microsoft.Win32.SafeHandles;
using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// An open chunk file whose header has been checked. Every <see cref="Read"/> verifies the CRC32C of each
/// block it returns bytes from, against the block table read when the file was opened, so bytes that rotted
/// on disk after the file was written (or after it was opened) are never returned: the read throws
/// <see cref="ChunkDamagedException"/> instead. The silo's store and the mount (which reads its node's chunk
/// files directly) both read through this type.
/// <para>
/// It stays readable after the store evicts the chunk (on Linux an unlinked file lives while a descriptor is
/// open), so a reader never races eviction. Reads may run concurrently (positional reads). Dispose to close.
/// </para>
/// </summary>
public sealed class ChunkHandle : IDisposable
{
    private readonly ChunkFileHeader _header;

    private ChunkHandle(SafeFileHandle file, string path, ChunkFileHeader header)
    {
        FileHandle = file;
        Path = path;
        _header = header;
    }

    /// <summary>The file's checked header.</summary>
    public ChunkFileHeader Header => _header;

    public ChunkId Id => _header.Id;

    /// <summary>Bytes of chunk data.</summary>
    public int Length => _header.Length;

    /// <summary>The chunk file's path (the file may have been evicted since it was opened).</summary>
    public string Path { get; }

    /// <summary>CRC32C of the whole chunk data.</summary>
    public uint Crc32C => _header.Crc32C;

    /// <summary>The open file.</summary>
    public SafeFileHandle FileHandle { get; }

    /// <summary>
    /// Opens the chunk file at <paramref name="path"/> and checks its header: format, the header's own
    /// checksum, that it holds chunk <paramref name="id"/> with <paramref name="expectedLength"/> bytes (when
    /// given) and that the file's size matches. Null when the file does not exist; null with a
    /// <paramref name="problem"/> when it fails a check (the caller reports it: the file is damaged).
    /// </summary>
    public static ChunkHandle? TryOpen(string path, ChunkId id, int? expectedLength, out string? problem)
    {
        SafeFileHandle file;
        if (!File.Exists(path))
        {
            // The common miss (a mount looks for the file before asking its silo): a stat, not a thrown exception,
            // which cost the mount ~8% of its CPU on cold files (`cold-cpu.py small --perf`, 2026-12-07).
            problem = null;
            return null;
        }

        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = null;
            return null;
        }

        try
        {
            var header = ChunkFileFormat.TryRead(file, out problem);
            if (header is not null && header.Id != id)
            {
                problem = $"the file holds chunk {header.Id}, not {id}";
            }
            else if (header is not null && expectedLength is { } length && header.Length != length)
            {
                problem = $"the file holds {header.Length} bytes, expected {length}";
            }

            if (problem is null && header is not null)
            {
                return new ChunkHandle(file, path, header);
            }
        }
        catch (IOException e)
        {
            problem = $"read failed: {e.Message}";
        }

        file.Dispose();
        return null;
    }

    /// <summary>
    /// Copies verified chunk bytes from <paramref name="offsetInChunk"/>; returns the count copied, short
    /// only at the end of the chunk (0 at or past it). Throws <see cref="ChunkDamagedException"/> when a
    /// block it reads fails its checksum or the file ends early; <paramref name="destination"/> may then
    /// hold unverified bytes and must not be used.
    /// </summary>
    public int Read(long offsetInChunk, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offsetInChunk);
        if (offsetInChunk >= Length)
        {
            return 0;
        }

        var wanted = (int)Math.Min(destination.Length, Length - offsetInChunk);
        var blockSize = _header.BlockSize;
        var position = offsetInChunk;
        var written = 0;
        byte[]? scratch = null;
        try
        {
            while (written < wanted)
            {
                var block = (int)(position / blockSize);
                var blockStart = (long)block * blockSize;
                var within = (int)(position - blockStart);
                if (within == 0 && BlockLength(block) <= wanted - written)
                {
                    // A run of whole blocks lands in the destination: one read, then each block checked in place.
                    var last = block;
                    var run = BlockLength(block);
                    while (last + 1 < _header.BlockCrcs.Count && run + BlockLength(last + 1) <= wanted - written)
                    {
                        last++;
                        run += BlockLength(last);
                    }

                    var target = destination.Slice(written, run);
                    ReadExactly(target, blockStart);
                    for (var b = block; b <= last; b++)
                    {
                        var at = (int)(((long)b * blockSize) - blockStart);
                        Check(b, target.Slice(at, BlockLength(b)));
                    }

                    written += run;
                    position += run;
                    continue;
                }

                // A block only partly wanted: read and check all of it, copy the part.
                scratch ??= ArrayPool<byte>.Shared.Rent(blockSize);
                var whole = scratch.AsSpan(0, BlockLength(block));
                ReadExactly(whole, blockStart);
                Check(block, whole);
                var take = Math.Min(whole.Length - within, wanted - written);
                whole.Slice(within, take).CopyTo(destination[written..]);
                written += take;
                position += take;
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        return written;
    }

    public void Dispose() => FileHandle.Dispose();

    private int BlockLength(int block) => (int)Math.Min(_header.BlockSize, Length - ((long)block * _header.BlockSize));

    private void ReadExactly(Span<byte> destination, long offsetInChunk)
    {
        var read = ChunkFileFormat.ReadFully(FileHandle, destination, _header.DataOffset + offsetInChunk);
        if (read != destination.Length)
        {
            throw new ChunkDamagedException(Id, Path, $"file ended at data byte {offsetInChunk + read} of {Length}");
        }
    }

    private void Check(int block, ReadOnlySpan<byte> bytes)
    {
        var actual = ChunkChecksum.Compute(bytes);
        var expected = _header.BlockCrcs[block];
        if (actual != expected)
        {
            throw new ChunkDamagedException(Id, Path, $"block {block} (data bytes {(long)block * _header.BlockSize}..{((long)block * _header.BlockSize) + bytes.Length}) has CRC32C {actual:x8}, expected {expected:x8}");
        }
    }
}
