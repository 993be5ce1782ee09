using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// <c>struct fuse_conn_info</c> in libfuse 3.14: ten <c>unsigned</c> fields followed by
/// <c>reserved[22]</c> (128 bytes). Only the leading fields are used; offsets were checked against
/// the installed header with offsetof.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct NativeConnInfo
{
    public const uint CapAsyncRead = 1u << 0;
    public const uint CapReaddirPlus = 1u << 13;
    public const uint CapReaddirPlusAuto = 1u << 14;
    public const uint CapParallelDirOps = 1u << 18;

    [FieldOffset(0)] public uint ProtoMajor;
    [FieldOffset(4)] public uint ProtoMinor;
    [FieldOffset(8)] public uint MaxWrite;
    [FieldOffset(12)] public uint MaxRead;
    [FieldOffset(16)] public uint MaxReadahead;
    [FieldOffset(20)] public uint Capable;
    [FieldOffset(24)] public uint Want;
    [FieldOffset(28)] public uint MaxBackground;
    [FieldOffset(32)] public uint CongestionThreshold;
    [FieldOffset(36)] public uint TimeGran;
}
