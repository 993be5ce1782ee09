namespace OrleansMount.Grains.Protocol;

/// <summary>The body of every non-2xx answer: a message for a person and a kind for a program.</summary>
public sealed record SiloError(string Error, string Kind)
{
    public const string SnapshotNotFound = "snapshot-not-found";
    public const string SnapshotReplaced = "snapshot-replaced";
    public const string NotFound = "not-found";
    public const string ObjectChanged = "object-changed";
    public const string ObjectStore = "object-store";
    public const string BadRequest = "bad-request";
    public const string Internal = "internal";
    public const string Unauthorized = "unauthorized";
}
