namespace OrleansMount.Native.Fuse;

/// <summary>Who sent a request (<c>struct fuse_ctx</c>). <see cref="Pid"/> is a thread id of the caller.</summary>
public readonly record struct FuseRequestContext(uint Uid, uint Gid, int Pid, uint Umask);
