namespace OrleansMount.Storage.ObjectStores;

/// <summary>A key that does not exist.</summary>
public sealed class ObjectNotFoundException : ObjectStoreException
{
    public ObjectNotFoundException(string address)
        : base($"object {address} does not exist")
    {
        Address = address;
    }

    public string Address { get; }
}
