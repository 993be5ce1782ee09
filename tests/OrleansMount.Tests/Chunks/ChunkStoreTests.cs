using OrleansMount.Core;
using OrleansMount.Storage.Chunks;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Chunks;

[UnitTest]
public sealed class ChunkStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"om-chunks-test-{Guid.NewGuid():N}");
    private readonly ManualTimeProvider _time = new();

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Put_open_and_read_round_trip()
    {
        using var store = NewStore(1 << 20);
        var id = Id(1, 0);
        var data = Data(id, 10_000);

        Assert.True(await store.PutAsync(id, data, CancellationToken.None));

        using var handle = store.TryOpen(id);
        Assert.NotNull(handle);
        Assert.Equal(data.Length, handle.Length);
        Assert.Equal(ChunkChecksum.Compute(data), handle.Crc32C);
        Assert.Equal(store.GetChunkPath(id), handle.Path);
        var buffer = new byte[4096];
        Assert.Equal(4096, handle.Read(5000, buffer));
        Assert.Equal(data[5000..9096], buffer);
        Assert.Equal(1000, handle.Read(9000, buffer)); // short only at the end
        Assert.Equal(0, handle.Read(10_000, buffer));
        Assert.Equal(10_000, store.UsedBytes);
        Assert.Equal(1, store.ChunkCount);
        Assert.Equal(1, store.Hits);

        Assert.Null(store.TryOpen(Id(2, 0)));
        Assert.Equal(1, store.Misses);
        Assert.True(store.Verify(id));
    }

    [Fact]
    public async Task Chunk_larger_than_capacity_is_refused_without_an_exception()
    {
        using var store = NewStore(1000);
        Assert.False(await store.PutAsync(Id(1, 0), new byte[1001], CancellationToken.None));
        Assert.Equal(0, store.ChunkCount);
        Assert.Equal(0, store.UsedBytes);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "chunks"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Restarted_store_serves_what_it_had()
    {
        var ids = Enumerable.Range(0, 3).Select(i => Id(7, i)).ToArray();
        using (var store = NewStore(1 << 20))
        {
            foreach (var id in ids)
            {
                Assert.True(await store.PutAsync(id, Data(id, 1000 + id.Index), CancellationToken.None));
            }
        }

        using var restarted = NewStore(1 << 20);
        Assert.Equal(3, restarted.ChunkCount);
        Assert.Equal(3003, restarted.UsedBytes);
        foreach (var id in ids)
        {
            using var handle = restarted.TryOpen(id);
            Assert.NotNull(handle);
            Assert.Equal(Data(id, 1000 + id.Index), ReadAll(handle));
        }

        Assert.Equal(0, restarted.CorruptionsDetected);
    }

    [Fact]
    public async Task Eviction_keeps_used_bytes_within_capacity_and_evicts_least_recently_used()
    {
        var (a, b, c, d, e) = (Id(1, 0), Id(2, 0), Id(3, 0), Id(4, 0), Id(5, 0));
        using (var store = NewStore(3000))
        {
            foreach (var id in new[] { a, b, c })
            {
                Assert.True(await store.PutAsync(id, Data(id, 1000), CancellationToken.None));
                _time.Advance(TimeSpan.FromSeconds(10));
            }

            store.TryOpen(a)!.Dispose(); // a is now more recent than b and c
            _time.Advance(TimeSpan.FromSeconds(10));

            Assert.True(await store.PutAsync(d, Data(d, 1000), CancellationToken.None));

            Assert.True(store.UsedBytes <= store.CapacityBytes);
            Assert.Equal(1, store.Evictions);
            Assert.False(store.Contains(b));
            Assert.False(File.Exists(store.GetChunkPath(b)));
            Assert.True(store.Contains(a));
            Assert.True(store.Contains(c));
            Assert.True(store.Contains(d));
        }

        // The access order survives a restart (last access is persisted in the catalog).
        _time.Advance(TimeSpan.FromSeconds(10));
        using var restarted = NewStore(3000);
        Assert.True(await restarted.PutAsync(e, Data(e, 1000), CancellationToken.None));
        Assert.False(restarted.Contains(c));
        Assert.True(restarted.Contains(a));
        Assert.Equal(3000, restarted.UsedBytes);
    }

    [Fact]
    public async Task Restart_with_a_smaller_capacity_evicts_down_to_it()
    {
        using (var store = NewStore(10_000))
        {
            for (var i = 0; i < 10; i++)
            {
                await store.PutAsync(Id(9, i), Data(Id(9, i), 1000), CancellationToken.None);
                _time.Advance(TimeSpan.FromSeconds(2));
            }
        }

        using var smaller = NewStore(4000);
        Assert.Equal(4000, smaller.UsedBytes);
        Assert.Equal(4, smaller.ChunkCount);
        Assert.True(smaller.Contains(Id(9, 9)));
        Assert.False(smaller.Contains(Id(9, 0)));
    }

    [Fact]
    public async Task Open_handle_survives_eviction_of_its_chunk()
    {
        using var store = NewStore(2000);
        var victim = Id(1, 0);
        var data = Data(victim, 1500);
        await store.PutAsync(victim, data, CancellationToken.None);
        using var handle = store.TryOpen(victim);
        Assert.NotNull(handle);

        _time.Advance(TimeSpan.FromSeconds(5));
        await store.PutAsync(Id(2, 0), Data(Id(2, 0), 1500), CancellationToken.None);

        Assert.False(store.Contains(victim));
        Assert.False(File.Exists(handle.Path));
        Assert.Equal(data, ReadAll(handle));
    }

    [Fact]
    public async Task Flipped_byte_after_a_restart_fails_the_read_and_verify_removes_the_chunk()
    {
        var id = Id(1, 4);
        string path;
        using (var store = NewStore(1 << 20))
        {
            await store.PutAsync(id, Data(id, 5000), CancellationToken.None);
            path = store.GetChunkPath(id);
        }

        DiskDamage.Flip(path, DataOffset(5000) + 1234);

        using var restarted = NewStore(1 << 20);
        using (var handle = restarted.TryOpen(id))
        {
            Assert.NotNull(handle); // the header is intact; the data is checked as it is read
            Assert.Throws<ChunkDamagedException>(() => ReadAll(handle));
        }

        Assert.False(restarted.Verify(id, "s3://b/obj"));
        Assert.Equal(1, restarted.CorruptionsDetected);
        Assert.False(File.Exists(path));
        Assert.Equal(0, restarted.ChunkCount);
        Assert.Equal(0, restarted.UsedBytes);
        Assert.Null(restarted.TryOpen(id));

        using var again = ReopenAfter(restarted);
        Assert.Equal(0, again.ChunkCount); // the catalog row is gone too
    }

    [Fact]
    public async Task Every_read_checks_the_blocks_it_returns_even_through_a_handle_opened_before_the_damage()
    {
        using var store = NewStore(1 << 20);
        var id = Id(3, 0);
        var data = Data(id, (2 * ChunkFileFormat.DefaultBlockSize) + 1000); // blocks 0, 1 and a short block 2
        await store.PutAsync(id, data, CancellationToken.None);
        using var handle = store.TryOpen(id);
        Assert.NotNull(handle);
        Assert.Equal(data, ReadAll(handle));

        DiskDamage.Flip(store.GetChunkPath(id), DataOffset(data.Length) + ChunkFileFormat.DefaultBlockSize + 77); // in block 1
        var buffer = new byte[100];
        Assert.Equal(100, handle.Read(10, buffer)); // block 0 only: still verified and right
        Assert.Equal(data.AsSpan(10, 100).ToArray(), buffer);
        Assert.Equal(100, handle.Read((2 * ChunkFileFormat.DefaultBlockSize) + 5, buffer)); // block 2 only
        Assert.Equal(data.AsSpan((2 * ChunkFileFormat.DefaultBlockSize) + 5, 100).ToArray(), buffer);
        var damaged = Assert.Throws<ChunkDamagedException>(() => handle.Read(ChunkFileFormat.DefaultBlockSize - 50, buffer)); // spans 0 and 1
        Assert.Contains("block 1", damaged.Message, StringComparison.Ordinal);
        Assert.Throws<ChunkDamagedException>(() => ReadAll(handle));

        Assert.False(store.Verify(id));
        Assert.Equal(1, store.CorruptionsDetected);
        Assert.Null(store.TryOpen(id));
    }

    [Fact]
    public async Task A_put_with_the_block_checksums_its_caller_took_writes_those_and_a_block_changed_since_fails_its_read()
    {
        using var store = NewStore(1 << 20);
        var id = Id(3, 1);
        var data = Data(id, (2 * ChunkFileFormat.DefaultBlockSize) + 1000);
        var blocks = Enumerable.Range(0, 3)
            .Select(b => ChunkChecksum.Compute(data.AsSpan(b * ChunkFileFormat.DefaultBlockSize, Math.Min(ChunkFileFormat.DefaultBlockSize, data.Length - (b * ChunkFileFormat.DefaultBlockSize)))))
            .ToArray();
        var whole = ChunkChecksum.Compute(data);
        data[ChunkFileFormat.DefaultBlockSize + 9] ^= 0x40; // block 1 changed in memory after its checksum was taken

        Assert.True(await store.PutAsync(id, data, whole, OrleansMount.Core.Caching.ChunkOrigin.Owned, CancellationToken.None, blocks));
        using var handle = store.TryOpen(id);
        Assert.NotNull(handle);
        var buffer = new byte[100];
        Assert.Equal(100, handle.Read(10, buffer)); // blocks 0 and 2 are what their checksums say
        Assert.Equal(data.AsSpan(10, 100).ToArray(), buffer);
        Assert.Equal(100, handle.Read((2 * ChunkFileFormat.DefaultBlockSize) + 5, buffer));
        var damaged = Assert.Throws<ChunkDamagedException>(() => handle.Read(ChunkFileFormat.DefaultBlockSize, buffer));
        Assert.Contains("block 1", damaged.Message, StringComparison.Ordinal);

        // Checksums for another number of blocks are not this data's: the store takes its own.
        var other = Id(3, 2);
        Assert.True(await store.PutAsync(other, data, ChunkChecksum.Compute(data), OrleansMount.Core.Caching.ChunkOrigin.Owned, CancellationToken.None, blocks[..2]));
        using var otherHandle = store.TryOpen(other);
        Assert.NotNull(otherHandle);
        Assert.Equal(data, ReadAll(otherHandle));
    }

    [Fact]
    public async Task A_store_of_another_block_size_writes_its_own_block_table_whether_or_not_the_caller_took_16_KiB_checksums()
    {
        using var store = new ChunkStore(new ChunkStoreOptions { Directory = _root, CapacityBytes = 1 << 20, BlockSize = 4096 }, null, _time);
        var id = Id(3, 3);
        var data = Data(id, (2 * ChunkFileFormat.DefaultBlockSize) + 1000);
        var blocks = new uint[3];
        var whole = ChunkChecksum.ComputeBlocks(data, ChunkFileFormat.DefaultBlockSize, blocks);
        var withSixteen = Id(3, 4);
        Assert.True(await store.PutAsync(id, data, CancellationToken.None));
        Assert.True(await store.PutAsync(withSixteen, data, whole, OrleansMount.Core.Caching.ChunkOrigin.Owned, CancellationToken.None, blocks));
        foreach (var stored in new[] { id, withSixteen })
        {
            Assert.True(store.Verify(stored));
            using var handle = store.TryOpen(stored);
            Assert.NotNull(handle);
            Assert.Equal((4096, whole), (handle.Header.BlockSize, handle.Crc32C));
            Assert.Equal(data, ReadAll(handle));
        }

        DiskDamage.Flip(store.GetChunkPath(id), ChunkFileFormat.DataOffset(data.Length, 4096) + 4096 + 5); // in block 1 of 4 KiB
        using var damagedHandle = store.TryOpen(id);
        Assert.NotNull(damagedHandle);
        var damaged = Assert.Throws<ChunkDamagedException>(() => damagedHandle.Read(4096, new byte[10]));
        Assert.Contains("block 1", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_at_any_offset_and_length_return_the_chunk_bytes_of_a_chunk_written_in_several_slices()
    {
        // Longer than two of the store's write slices, so the bytes on both sides of each slice boundary are read too.
        using var store = NewStore(1 << 23);
        var id = Id(4, 0);
        var data = Data(id, (2 * ChunkStore.WriteSliceBytes) + (3 * ChunkFileFormat.DefaultBlockSize) + 4097);
        Assert.True(await store.PutAsync(id, data, CancellationToken.None));
        Assert.True(store.Verify(id));
        using var handle = store.TryOpen(id);
        Assert.NotNull(handle);
        var random = new Random(17);
        var slice = ChunkStore.WriteSliceBytes;
        var offsets = new[] { 0, 1, ChunkFileFormat.DefaultBlockSize - 1, ChunkFileFormat.DefaultBlockSize, slice - 1, slice, (2 * slice) + 1, data.Length - 1, data.Length }
            .Concat(Enumerable.Range(0, 300).Select(_ => random.Next(data.Length + 1)));
        foreach (var offset in offsets)
        {
            foreach (var length in new[] { 0, 1, 4096, ChunkFileFormat.DefaultBlockSize, (2 * ChunkFileFormat.DefaultBlockSize) + 3, random.Next(data.Length + 10) })
            {
                var buffer = new byte[length];
                var read = handle.Read(offset, buffer);
                Assert.Equal(Math.Min(length, data.Length - offset), read);
                Assert.True(data.AsSpan(offset, read).SequenceEqual(buffer.AsSpan(0, read)), $"bytes at {offset} (+{length}) differ");
            }
        }
    }

    [Fact]
    public async Task Damaged_headers_wrong_chunk_files_and_changed_sizes_fail_the_open_and_are_removed()
    {
        using var store = NewStore(1 << 22);
        var ids = Enumerable.Range(0, 6).Select(i => Id(20 + i, 0)).ToArray();
        foreach (var id in ids)
        {
            await store.PutAsync(id, Data(id, 100_000), CancellationToken.None);
        }

        DiskDamage.Flip(store.GetChunkPath(ids[0]), 30);                                  // the length field
        DiskDamage.Flip(store.GetChunkPath(ids[1]), ChunkFileFormat.FixedHeaderLength + 1); // the block table
        File.Copy(store.GetChunkPath(ids[3]), store.GetChunkPath(ids[2]), overwrite: true); // another chunk's file
        using (var file = new FileStream(store.GetChunkPath(ids[4]), FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length + 1); // extended
        }

        using (var file = new FileStream(store.GetChunkPath(ids[5]), FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length - 1); // truncated
        }

        foreach (var id in ids.Where(id => id != ids[3]))
        {
            Assert.Null(store.TryOpen(id));
        }

        Assert.Equal(5, store.CorruptionsDetected);
        Assert.NotNull(store.TryOpen(ids[3]));
        Assert.Equal(1, store.ChunkCount);
    }

    [Fact]
    public async Task Truncated_file_is_detected_removed_and_counted()
    {
        using var store = NewStore(1 << 20);
        var id = Id(5, 1);
        await store.PutAsync(id, Data(id, 4000), CancellationToken.None);
        var path = store.GetChunkPath(id);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(DataOffset(4000) + 100);
        }

        Assert.Null(store.TryOpen(id));
        Assert.Equal(1, store.CorruptionsDetected);
        Assert.False(File.Exists(path));
        Assert.Equal(0, store.UsedBytes);
    }

    [Fact]
    public async Task Truncated_file_is_dropped_at_start()
    {
        var id = Id(5, 2);
        string path;
        using (var store = NewStore(1 << 20))
        {
            await store.PutAsync(id, Data(id, 4000), CancellationToken.None);
            path = store.GetChunkPath(id);
        }

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..(DataOffset(4000) + 10)]);

        using var restarted = NewStore(1 << 20);
        Assert.Equal(0, restarted.ChunkCount);
        Assert.Equal(1, restarted.CorruptionsDetected);
        Assert.Null(restarted.TryOpen(id));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Leftover_temp_file_is_deleted_and_missing_file_dropped_at_start()
    {
        var kept = Id(1, 0);
        var lost = Id(2, 0);
        string temp;
        using (var store = NewStore(1 << 20))
        {
            await store.PutAsync(kept, Data(kept, 100), CancellationToken.None);
            await store.PutAsync(lost, Data(lost, 100), CancellationToken.None);
            temp = store.GetChunkPath(kept) + ".0123456789abcdef.tmp";
            File.Delete(store.GetChunkPath(lost));
        }

        File.WriteAllBytes(temp, new byte[50]);

        using var restarted = NewStore(1 << 20);
        Assert.False(File.Exists(temp));
        Assert.Equal(1, restarted.ChunkCount);
        Assert.Equal(100, restarted.UsedBytes);
        Assert.Null(restarted.TryOpen(lost));
        Assert.NotNull(restarted.TryOpen(kept));
    }

    [Fact]
    public void Complete_file_without_a_catalog_row_is_adopted_at_start()
    {
        var id = Id(8, 0);
        var data = Data(id, 777);
        string path;
        using (var store = NewStore(1 << 20))
        {
            path = store.GetChunkPath(id);
        }

        var header = ChunkFileFormat.BuildHeader(id, data, ChunkChecksum.Compute(data));
        File.WriteAllBytes(path, [.. header, .. data]);

        using var restarted = NewStore(1 << 20);
        using var handle = restarted.TryOpen(id);
        Assert.NotNull(handle);
        Assert.Equal(data, ReadAll(handle));
        Assert.Equal(777, restarted.UsedBytes);
    }

    [Fact]
    public void Files_and_rows_of_the_old_format_are_dropped_at_start_never_trusted()
    {
        var withRow = Id(9, 0);
        var withoutRow = Id(9, 1);
        var data = Data(withRow, 500);
        using (var store = NewStore(1 << 20))
        {
            // Version 1: a 16-byte header (magic, version, flags, length, CRC32C of the whole data), then the data.
            foreach (var id in new[] { withRow, withoutRow })
            {
                File.WriteAllBytes(store.GetChunkPath(id), [.. Convert.FromHexString("4F4D434B01000000F4010000"), .. BitConverter.GetBytes(ChunkChecksum.Compute(data)), .. data]);
            }
        }

        using (var catalog = OrleansMount.Storage.RocksDb.RocksDatabase.Open(Path.Combine(_root, "catalog")))
        {
            var key = new byte[ChunkCatalogRecord.KeyLength];
            ChunkCatalogRecord.WriteKey(withRow, key);
            catalog.Put(key, [.. Convert.FromHexString("01F4010000"), .. BitConverter.GetBytes(ChunkChecksum.Compute(data)), .. new byte[8]]);
        }

        using var restarted = NewStore(1 << 20);
        Assert.Equal(0, restarted.ChunkCount);
        Assert.Null(restarted.TryOpen(withRow));
        Assert.Null(restarted.TryOpen(withoutRow));
        Assert.False(File.Exists(restarted.GetChunkPath(withRow)));
        Assert.False(File.Exists(restarted.GetChunkPath(withoutRow)));
    }

    [Fact]
    public async Task Chunk_file_format_is_frozen()
    {
        using var store = NewStore(1 << 20);
        var id = new ChunkId(ObjectIdentity.FromBytes(Convert.FromHexString("000102030405060708090a0b0c0d0e0f")), 3);

        await store.PutAsync(id, "hello"u8.ToArray(), CancellationToken.None);

        var path = store.GetChunkPath(id);
        Assert.Equal(Path.Combine(_root, "chunks", "00", "000102030405060708090a0b0c0d0e0f-3.chunk"), path);
        // Computed independently (a bitwise CRC32C in Python), not by the code under test.
        // The data starts at 4096, after the table and zero padding (both covered by the header checksum).
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(4096 + 5, bytes.Length);
        Assert.Equal(
            "4F4D434B" + "0200" + "0000" + "000102030405060708090A0B0C0D0E0F" + "03000000" + "05000000" + "00400000" + "4CBB719A" + "A573F799"
            + "4CBB719A",
            Convert.ToHexString(bytes.AsSpan(0, 48)));
        Assert.All(bytes[48..4096], b => Assert.Equal(0, b));
        Assert.Equal("68656C6C6F", Convert.ToHexString(bytes.AsSpan(4096)));
    }

    [Fact]
    public void Catalog_record_format_is_frozen()
    {
        var key = new byte[ChunkCatalogRecord.KeyLength];
        var id = new ChunkId(ObjectIdentity.FromBytes(Convert.FromHexString("000102030405060708090a0b0c0d0e0f")), 258);
        ChunkCatalogRecord.WriteKey(id, key);
        Assert.Equal("000102030405060708090A0B0C0D0E0F" + "00000102", Convert.ToHexString(key));
        Assert.True(ChunkCatalogRecord.TryReadKey(key, out var parsed));
        Assert.Equal(id, parsed);

        var value = new byte[ChunkCatalogRecord.ValueLength];
        var record = new ChunkCatalogRecord(5, 0x9A71BB4C, 0x0102030405060708, 65536);
        record.WriteValue(value);
        Assert.Equal("02" + "05000000" + "4CBB719A" + "0807060504030201" + "00000100", Convert.ToHexString(value));
        Assert.True(ChunkCatalogRecord.TryReadValue(value, out var back));
        Assert.Equal(record, back);

        value[0] = 1;
        Assert.False(ChunkCatalogRecord.TryReadValue(value, out _));
    }

    [Fact]
    public void Checksum_is_standard_crc32c()
    {
        Assert.Equal(0xE3069283u, ChunkChecksum.Compute("123456789"u8));
        Assert.Equal(0x9A71BB4Cu, ChunkChecksum.Compute("hello"u8));
        Assert.Equal(0u, ChunkChecksum.Compute([]));
        var data = Data(Id(1, 1), 1001);
        Assert.Equal(ChunkChecksum.Compute(data), ChunkChecksum.Compute(data.AsSpan(0, 333), data.AsSpan(333)));
    }

    [Fact]
    public async Task Concurrent_puts_and_opens_from_eight_tasks_stay_consistent()
    {
        // 48 distinct chunks of 1000 bytes against room for 20: constant eviction while reading.
        using var store = NewStore(20_000, time: TimeProvider.System);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            await start.Task;
            var random = new Random(worker);
            for (var step = 0; step < 300; step++)
            {
                var id = Id(worker % 4, random.Next(12));
                var expected = Data(id, 1000);
                if (random.Next(3) == 0)
                {
                    Assert.True(await store.PutAsync(id, expected, CancellationToken.None));
                }
                else
                {
                    using var handle = store.TryOpen(id);
                    if (handle is not null)
                    {
                        Assert.Equal(expected, ReadAll(handle));
                    }
                }
            }
        })).ToList();

        start.SetResult();
        await Task.WhenAll(workers);

        Assert.True(store.UsedBytes <= store.CapacityBytes, $"used {store.UsedBytes}");
        Assert.Equal(store.ChunkCount * 1000, store.UsedBytes);
        Assert.Equal(0, store.CorruptionsDetected);
        var files = Directory.EnumerateFiles(Path.Combine(_root, "chunks"), "*", SearchOption.AllDirectories).ToList();
        Assert.Equal(store.ChunkCount, files.Count);
        Assert.DoesNotContain(files, f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    private static ChunkId Id(int seed, int index)
    {
        var bytes = new byte[ObjectIdentity.Length];
        new Random(seed).NextBytes(bytes);
        return new ChunkId(ObjectIdentity.FromBytes(bytes), index);
    }

    private static byte[] Data(ChunkId id, int length)
    {
        var bytes = new byte[length];
        new Random(HashCode.Combine(id.Identity.Low64, id.Index)).NextBytes(bytes);
        return bytes;
    }

    private static byte[] ReadAll(ChunkHandle handle)
    {
        var bytes = new byte[handle.Length];
        Assert.Equal(handle.Length, handle.Read(0, bytes));
        return bytes;
    }

    private ChunkStore ReopenAfter(ChunkStore store)
    {
        var capacity = store.CapacityBytes;
        store.Dispose();
        return NewStore(capacity);
    }

    private static int DataOffset(int length) => ChunkFileFormat.DataOffset(length, ChunkFileFormat.DefaultBlockSize);

    private ChunkStore NewStore(long capacity, TimeProvider? time = null) =>
        new(new ChunkStoreOptions { Directory = _root, CapacityBytes = capacity }, null, time ?? _time);
}
