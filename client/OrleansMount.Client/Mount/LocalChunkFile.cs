using Microsoft.Win32.SafeHandles;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>
/// A chunk file of the node's cache opened directly by the mount (no RPC for bytes already on
/// disk). The header is checked on open and, the first time this process sees the chunk, the
/// CRC32C of the whole body: a torn or corrupt file is never served.
/// </summary>
public sealed class LocalChunkFile : IDisposable
{
    private LocalChunkFile(SafeFileHandle handle, int length)
    {
        Handle = handle;
        Length = length;
    }

    public SafeFileHandle Handle { get; }

    public int Length { get; }

    /// <summary>Opens the chunk if present and valid; null when absent or failing its checks.</summary>
    public static LocalChunkFile? TryOpen(string path, int expectedLength, bool verifyBody)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            Span<byte> header = stackalloc byte[ChunkFileFormat.HeaderLength];
            if (RandomAccess.Read(handle, header, 0) != header.Length
                || !ChunkFileFormat.TryReadHeader(header, out var length, out var crc, out _)
                || length != expectedLength
                || RandomAccess.GetLength(handle) != ChunkFileFormat.HeaderLength + length)
            {
                handle.Dispose();
                return null;
            }

            if (verifyBody && !BodyMatches(handle, length, crc))
            {
                handle.Dispose();
                return null;
            }

            return new LocalChunkFile(handle, length);
        }
        catch (IOException)
        {
            handle.Dispose();
            return null;
        }
    }

    public int Read(int offsetInChunk, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(Handle, destination[total..], ChunkFileFormat.HeaderLength + offsetInChunk + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static bool BodyMatches(SafeFileHandle handle, int length, uint expected)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(length, 1 << 20));
        try
        {
            var crc = 0u;
            long position = ChunkFileFormat.HeaderLength;
            var remaining = length;
            while (remaining > 0)
            {
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, Math.Min(remaining, buffer.Length)), position);
                if (read == 0)
                {
                    return false;
                }

                crc = ChunkChecksum.Append(crc, buffer.AsSpan(0, read));
                position += read;
                remaining -= read;
            }

            return crc == expected;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => Handle.Dispose();
}
