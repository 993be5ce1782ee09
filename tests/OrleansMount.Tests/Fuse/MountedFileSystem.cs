using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>Mounts an <see cref="IFuseFileSystem"/> on a temp dir with the loop on a dedicated thread.</summary>
internal sealed class MountedFileSystem : IDisposable
{
    private readonly Thread _loop;
    private readonly List<Exception> _errors = [];
    private int _loopResult = int.MinValue;

    public MountedFileSystem(IFuseFileSystem fs, string options)
    {
        Path = Directory.CreateTempSubdirectory("orleansmount-fuse-").FullName;
        Session = FuseSession.Create(fs, Path, ["-o", options], ex =>
        {
            lock (_errors)
            {
                _errors.Add(ex);
            }
        });
        _loop = new Thread(() => _loopResult = Session.Run(maxThreads: 4)) { IsBackground = true, Name = "fuse-loop" };
        _loop.Start();
    }

    public string Path { get; }

    public FuseSession Session { get; }

    public IReadOnlyList<Exception> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Exits, joins the loop thread and unmounts; returns the loop's result.</summary>
    public int Stop()
    {
        Session.Exit();
        Assert.True(_loop.Join(TimeSpan.FromSeconds(30)), "the FUSE loop thread did not return after Exit");
        Session.Dispose();
        return _loopResult;
    }

    public void Dispose()
    {
        if (_loop.IsAlive)
        {
            Session.Exit();
            _ = _loop.Join(TimeSpan.FromSeconds(30));
        }

        Session.Dispose();
        if (FuseMounts.IsMounted(Path))
        {
            _ = FuseMounts.LazyUnmount(Path);
        }

        try
        {
            Directory.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
