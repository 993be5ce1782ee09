namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// What a rotting disk does to a file, done in place while other processes may hold it open (shared access, so
/// .NET's advisory locks of the readers do not stop it): flipped bits, a changed size, another file in its place.
/// </summary>
public static class DiskDamage
{
    /// <summary>XORs the byte at <paramref name="offset"/> with <paramref name="mask"/> (same inode).</summary>
    public static void Flip(string path, long offset, byte mask = 0x01)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ mask));
    }

    /// <summary>Truncates or extends the file to <paramref name="length"/> bytes (same inode).</summary>
    public static void Resize(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        file.SetLength(length);
    }

    /// <summary>Puts a copy of <paramref name="other"/> in the file's place by a rename (a new inode at the path).</summary>
    public static void ReplaceWith(string path, string other)
    {
        File.Copy(other, path + ".replacement");
        File.Move(path + ".replacement", path, overwrite: true);
    }
}
