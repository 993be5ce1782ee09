namespace OrleansMount.Core;

/// <summary>
/// An error a user can act on: the message says what was wrong and what to do. The CLI prints
/// the message (no stack trace) and exits with <see cref="ExitCode"/>.
/// </summary>
public class OrleansMountException : Exception
{
    public OrleansMountException(string message, int exitCode = 1, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }
}
