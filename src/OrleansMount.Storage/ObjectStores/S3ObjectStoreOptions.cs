namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// Explicit settings for <see cref="S3ObjectStore"/>. Anything left null comes from the standard
/// AWS environment (<c>AWS_ENDPOINT_URL_S3</c>/<c>AWS_ENDPOINT_URL</c>, <c>AWS_REGION</c>,
/// <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, profiles).
/// </summary>
public sealed record S3ObjectStoreOptions
{
    /// <summary>Largest file <see cref="IObjectStore.PutFileAsync"/> sends in one PUT; larger files use a multipart upload.</summary>
    public const long DefaultMultipartThreshold = 64L << 20;

    /// <summary>Default multipart part size (S3's minimum for all but the last part is 5 MiB).</summary>
    public const long DefaultMultipartPartSize = 16L << 20;

    /// <summary>An S3-compatible endpoint such as <c>http://127.0.0.1:4568</c>; null for AWS or the environment's endpoint.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The signing region, e.g. <c>us-east-1</c>; null for the environment's.</summary>
    public string? Region { get; init; }

    /// <summary>Access key id; used only together with <see cref="SecretKey"/>.</summary>
    public string? AccessKey { get; init; }

    /// <summary>Secret access key; used only together with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; init; }

    /// <summary>Address buckets as <c>endpoint/bucket/key</c> instead of <c>bucket.endpoint/key</c>. Forced on when an endpoint comes from the environment.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>Files larger than this are uploaded in parts.</summary>
    public long MultipartThreshold { get; init; } = DefaultMultipartThreshold;

    /// <summary>Size of each part of a multipart upload.</summary>
    public long MultipartPartSize { get; init; } = DefaultMultipartPartSize;

    /// <summary>Time limit for one HTTP request attempt until its response headers (see <see cref="ObjectStoreRetryPolicy.AttemptTimeout"/> for the whole attempt).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time limit for opening a connection to the endpoint.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of transient failures, backoff and deadline (the SDK's own retries are off).</summary>
    public ObjectStoreRetryPolicy Retry { get; init; } = new();

    /// <summary>Where retries and final failures are counted; null counts nowhere.</summary>
    public ObjectStoreCounters? Counters { get; init; }
}
