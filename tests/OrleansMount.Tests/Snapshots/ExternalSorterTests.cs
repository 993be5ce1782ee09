using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core;
using OrleansMount.Storage.Import;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Snapshots;

/// <summary>
/// <see cref="ExternalSorter"/>: for any records and any memory budget the output is the input in
/// (key bytes, rest) order, with every duplicate kept; runs beyond the fan-in are merged in stages;
/// run files are gone once read or disposed.
/// </summary>
[UnitTest]
public sealed class ExternalSorterTests
{
    [Fact]
    public void Output_is_the_input_sorted_by_key_then_rest_for_any_budget() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => Check(seed)).Check(Config.QuickThrowOnFailure.WithMaxTest(100));

    [Fact]
    public void More_runs_than_the_fan_in_are_merged_in_stages_and_every_run_file_is_deleted()
    {
        using var temp = new TempDirectory();
        var random = new Random(3);
        var records = Enumerable.Range(0, 20_000).Select(_ => Record(RandomBytes(random, 1, 12), RandomBytes(random, 0, 4))).ToList();
        using var sorter = new ExternalSorter(temp.Path, memoryBytes: 2048, chunkBytes: 256);
        foreach (var record in records)
        {
            sorter.Add(record);
        }

        Assert.True(sorter.RunsSpilled > 3 * ExternalSorter.MaxFanIn, $"{sorter.RunsSpilled} runs");
        var sorted = sorter.Sorted().Select(r => r.ToArray()).ToList();
        Assert.Equal(records.Order(Comparer<byte[]>.Create((a, b) => ExternalSorter.Compare(a, b))), sorted, ByteArrayComparer.Instance);
        Assert.Empty(Directory.EnumerateFiles(temp.Path));
    }

    [Fact]
    public void A_listing_that_fits_is_never_written_and_disposing_midway_deletes_the_runs()
    {
        using var temp = new TempDirectory();
        using (var small = new ExternalSorter(temp.Path, memoryBytes: 1 << 20))
        {
            small.Add(Record([2], []));
            small.Add(Record([1], []));
            Assert.Equal([[1], [2]], small.Sorted().Select(r => ExternalSorter.KeyOf(r.Span, out _).ToArray()));
            Assert.Equal(0, small.RunsSpilled);
            Assert.Throws<InvalidOperationException>(() => small.Add(Record([3], [])));
        }

        using (var large = new ExternalSorter(temp.Path, memoryBytes: 64, chunkBytes: 32))
        {
            for (var i = 0; i < 100; i++)
            {
                large.Add(Record([(byte)(100 - i)], []));
            }

            Assert.NotEmpty(Directory.EnumerateFiles(temp.Path));
            using var enumerator = large.Sorted().GetEnumerator();
            Assert.True(enumerator.MoveNext());
        }

        Assert.Empty(Directory.EnumerateFiles(temp.Path));
    }

    private static bool Check(int seed)
    {
        using var temp = new TempDirectory();
        var random = new Random(seed);
        var count = random.Next(0, 400);

        // Short keys from a small alphabet: many shared prefixes, equal keys and duplicates; now and then a record larger than a chunk.
        var records = Enumerable.Range(0, count)
            .Select(_ => random.Next(50) == 0 ? Record(RandomBytes(random, 100, 300), RandomBytes(random, 0, 300)) : Record(RandomBytes(random, 0, 4, alphabet: 3), RandomBytes(random, 0, 3, alphabet: 3)))
            .ToList();
        var chunk = random.Next(16, 128);
        using var sorter = new ExternalSorter(temp.Path, memoryBytes: chunk * random.Next(1, 8), chunkBytes: chunk);
        foreach (var record in records)
        {
            sorter.Add(record);
        }

        var expected = records.Order(Comparer<byte[]>.Create(CompareNaively)).ToList();
        var actual = sorter.Sorted().Select(r => r.ToArray()).ToList();
        return expected.SequenceEqual(actual, ByteArrayComparer.Instance) && !Directory.EnumerateFiles(temp.Path).Any();
    }

    /// <summary>The order spelled out: key bytes lexicographically (a prefix first), then the rest likewise.</summary>
    private static int CompareNaively(byte[] x, byte[] y)
    {
        static (byte[] Key, byte[] Tail) Split(byte[] record)
        {
            var p = 0;
            var length = (int)VarInt.Read(record, ref p);
            return (record[p..(p + length)], record[(p + length)..]);
        }

        static int Lexicographic(byte[] a, byte[] b)
        {
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                if (a[i] != b[i])
                {
                    return a[i] < b[i] ? -1 : 1;
                }
            }

            return a.Length.CompareTo(b.Length);
        }

        var (xKey, xRest) = Split(x);
        var (yKey, yRest) = Split(y);
        var c = Lexicographic(xKey, yKey);
        return c != 0 ? c : Lexicographic(xRest, yRest);
    }

    private static byte[] Record(byte[] key, byte[] rest)
    {
        var header = new byte[5];
        var h = VarInt.Write(header, (ulong)key.Length);
        return [.. header[..h], .. key, .. rest];
    }

    private static byte[] RandomBytes(Random random, int min, int max, int alphabet = 256)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(alphabet == 256 ? random.Next(256) : 0x2D + random.Next(alphabet)); // '-', '.', '/'
        }

        return bytes;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
