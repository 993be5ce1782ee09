using System.Runtime.InteropServices;

namespace OrleansMount.Benchmarks.ChecksumBench;

/// <summary>Random bytes in a pinned array, viewed from a 64-byte-aligned start plus an offset.</summary>
internal static class TestData
{
    public static ArraySegment<byte> Create(int size, int offset, int seed)
    {
        var array = GC.AllocateUninitializedArray<byte>(size + 128, pinned: true);
        new Random(seed).NextBytes(array);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        var aligned = (int)((64 - (address % 64)) % 64);
        return new ArraySegment<byte>(array, aligned + offset, size);
    }
}
