using OrleansMount.Core;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>The store could not be used: bucket missing, access denied, credentials missing, unreachable.</summary>
public class ObjectStoreException : OrleansMountException
{
    public ObjectStoreException(string message, Exception? inner = null)
        : base(message, 3, inner)
    {
    }
}
