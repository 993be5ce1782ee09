using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// An S3 bucket (or an S3-compatible server) through AWSSDK.S3. Keys are relative to the bucket.
/// ETags are reported without their surrounding quotes everywhere. Reads send <c>If-Match</c>
/// and also compare the response's ETag, because some servers (s3rver) ignore <c>If-Match</c>.
/// Every request goes through <see cref="ObjectStoreRetryPolicy"/>, run as a Polly pipeline by
/// <see cref="ObjectStoreRetryPipeline"/> (the SDK's own retries are off): transient failures are
/// retried with jittered exponential backoff up to a number of attempts and a deadline, and a
/// response body shorter than its Content-Length is a failure, never a short read.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly AmazonS3Client _client;
    private readonly S3ObjectStoreOptions _options;
    private readonly string _endpoint;
    private readonly ObjectStoreRetryPipeline _retry;

    public S3ObjectStore(StoreUri root, S3ObjectStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!root.IsS3)
        {
            throw new ArgumentException($"{root} is not an s3:// location", nameof(root));
        }

        Root = root;
        _options = options ?? new S3ObjectStoreOptions();
        if (_options.MultipartPartSize <= 0 || _options.MultipartThreshold < 0)
        {
            throw new ArgumentException("MultipartPartSize must be positive and MultipartThreshold not negative", nameof(options));
        }

        _retry = new ObjectStoreRetryPipeline(_options.Retry, _options.Counters, S3Errors.IsTransient);

        var config = new AmazonS3Config
        {
            ForcePathStyle = _options.ForcePathStyle,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = _options.RequestTimeout,
            ConnectTimeout = _options.ConnectTimeout,
            MaxErrorRetry = 0, // RetryAsync retries (Polly), with a deadline the SDK does not have
        };

        if (_options.Region is { Length: > 0 } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        var serviceUrl = _options.ServiceUrl;
        if (serviceUrl is null)
        {
            serviceUrl = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") is { Length: > 0 } s3Url ? s3Url
                : Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } url ? url
                : null;
            if (serviceUrl is not null)
            {
                // Custom endpoints (MinIO, s3rver, Ceph) rarely resolve bucket host names.
                config.ForcePathStyle = true;
            }
        }

        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl;
            if (config.RegionEndpoint is { } endpointRegion)
            {
                config.AuthenticationRegion = endpointRegion.SystemName;
            }
            else if (!HasRegionInEnvironment())
            {
                config.AuthenticationRegion = "us-east-1";
            }
        }

        _endpoint = serviceUrl ?? $"https://s3.{config.RegionEndpoint?.SystemName ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? "(default region)"}.amazonaws.com";
        _client = _options.AccessKey is { } accessKey && _options.SecretKey is { } secretKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config)
            : new AmazonS3Client(config);
    }

    public StoreUri Root { get; }

    /// <summary>The endpoint requests go to, for messages.</summary>
    public string Endpoint => _endpoint;

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        string? continuationToken = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = Root.Bucket,
                Prefix = prefix.Length == 0 ? null : prefix,
                ContinuationToken = continuationToken,
            };
            var response = await RetryAsync(null, ct => _client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            foreach (var o in response.S3Objects ?? [])
            {
                // Real S3 lists in UTF-8 byte order; s3rver does not when a name sorts before '/'
                // next to a directory of the same stem ("a.txt", "a/b"). Consumers that need
                // order sort (SnapshotImporter does), so the listing is passed on as it comes.
                yield return new ObjectInfo(o.Key, o.Size ?? 0, StripQuotes(o.ETag), ToOffset(o.LastModified));
            }

            continuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (continuationToken is not null);
    }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return await RetryAsync<ObjectInfo?>(key, async ct =>
        {
            try
            {
                var response = await _client.GetObjectMetadataAsync(Root.Bucket, key, ct).ConfigureAwait(false);
                return new ObjectInfo(key, response.ContentLength, StripQuotes(response.ETag), ToOffset(response.LastModified));
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default) =>
        ReadAsync(key, offset, buffer, ifMatchETag, null, cancellationToken);

    public async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, Action<int>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (buffer.Length == 0)
        {
            return await CheckWithoutReadingAsync(key, ifMatchETag, cancellationToken).ConfigureAwait(false);
        }

        var request = new GetObjectRequest
        {
            BucketName = Root.Bucket,
            Key = key,
            ByteRange = new ByteRange(offset, offset + buffer.Length - 1),
            EtagToMatch = ifMatchETag is null ? null : $"\"{ifMatchETag}\"",
        };
        var read = await RetryAsync<int?>(key, ct => ReadOnceAsync(request, buffer, ifMatchETag, progress, ct), cancellationToken).ConfigureAwait(false);
        // At or past the end (or an empty object): no bytes, but the key and ETag must still hold.
        return read ?? await CheckWithoutReadingAsync(key, ifMatchETag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One ranged GET into <paramref name="buffer"/>; null when the range is past the end (416).</summary>
    private async Task<int?> ReadOnceAsync(GetObjectRequest request, Memory<byte> buffer, string? ifMatchETag, Action<int>? progress, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new ObjectChangedException(Root.AddressOf(request.Key), ifMatchETag ?? "", null);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return null;
        }

        using (response)
        {
            var actual = StripQuotes(response.ETag);
            if (ifMatchETag is not null && !string.Equals(actual, ifMatchETag, StringComparison.Ordinal))
            {
                throw new ObjectChangedException(Root.AddressOf(request.Key), ifMatchETag, actual);
            }

            // s3rver answers a range on an empty object with "Content-Range: bytes 0-0/0" and a
            // Content-Length of 1 it never sends: reading the body would hang until the timeout.
            if (response.ContentRange is { } contentRange && contentRange.EndsWith("/0", StringComparison.Ordinal))
            {
                return 0;
            }

            progress?.Invoke(0);
            var total = 0;
            while (total < buffer.Length)
            {
                var n = await response.ResponseStream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                total += n;
                progress?.Invoke(total);
            }

            // A body that ends before its announced length is a cut connection, not the end of the object.
            if (response.ContentLength > total && total < buffer.Length)
            {
                throw new IOException($"the response body ended after {total} of {response.ContentLength} bytes");
            }

            return total;
        }
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var array = MemoryMarshal.TryGetArray(data, out var segment) ? segment : new ArraySegment<byte>(data.ToArray());
        // A fresh request and stream per attempt: a retry sends the bytes from the start.
        return RetryAsync(key, ct => _client.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = Root.Bucket,
                Key = key,
                InputStream = new MemoryStream(array.Array!, array.Offset, array.Count, writable: false),
                AutoCloseStream = true,
                UseChunkEncoding = false,
            },
            ct), cancellationToken);
    }

    public async Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(localPath);
        var length = new FileInfo(localPath).Length;
        if (length <= _options.MultipartThreshold)
        {
            await RetryAsync(key, ct => _client.PutObjectAsync(new PutObjectRequest { BucketName = Root.Bucket, Key = key, FilePath = localPath, UseChunkEncoding = false }, ct), cancellationToken).ConfigureAwait(false);
            return;
        }

        await PutMultipartAsync(key, localPath, length, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();

    private async Task PutMultipartAsync(string key, string localPath, long length, CancellationToken cancellationToken)
    {
        var initiate = await RetryAsync(
            key,
            ct => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Root.Bucket, Key = key }, ct),
            cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            var partNumber = 1;
            for (long position = 0; position < length; position += _options.MultipartPartSize, partNumber++)
            {
                var (number, at) = (partNumber, position);
                var uploaded = await RetryAsync(key, ct => _client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = Root.Bucket,
                        Key = key,
                        UploadId = initiate.UploadId,
                        PartNumber = number,
                        FilePath = localPath,
                        FilePosition = at,
                        PartSize = Math.Min(_options.MultipartPartSize, length - at),
                        UseChunkEncoding = false,
                    },
                    ct), cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(partNumber, uploaded.ETag));
            }

            var complete = new CompleteMultipartUploadRequest
            {
                BucketName = Root.Bucket,
                Key = key,
                UploadId = initiate.UploadId,
                PartETags = parts,
            };
            await RetryAsync(key, ct => _client.CompleteMultipartUploadAsync(complete, ct), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(Root.Bucket, key, initiate.UploadId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                // Best effort: the upload's own failure is the one to report.
            }

            throw;
        }
    }

    /// <summary>Answers a read that transfers no bytes: the key must exist and, when asked, have the ETag.</summary>
    private async Task<int> CheckWithoutReadingAsync(string key, string? ifMatchETag, CancellationToken cancellationToken)
    {
        var info = await HeadAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new ObjectNotFoundException(Root.AddressOf(key));
        if (ifMatchETag is not null && !string.Equals(info.ETag, ifMatchETag, StringComparison.Ordinal))
        {
            throw new ObjectChangedException(Root.AddressOf(key), ifMatchETag, info.ETag);
        }

        return 0;
    }

    /// <summary>
    /// Runs one request under the retry pipeline: each attempt bounded by its timeout (body included),
    /// transient failures retried after a jittered exponential delay while attempts and the deadline
    /// last, then the last failure thrown as an <see cref="ObjectStoreException"/> naming the object.
    /// </summary>
    private Task<T> RetryAsync<T>(string? key, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(attempt, failure => Fail(key, failure), cancellationToken);

    private ObjectStoreException Fail(string? key, ObjectStoreRetryFailure failure)
    {
        if (!failure.Transient)
        {
            return S3Errors.Map(failure.Error, Root, key, _endpoint);
        }

        var last = failure.TimedOut
            ? $"the object store at {_endpoint} sent no complete answer for {(key is null ? $"s3://{Root.Bucket}/" : Root.AddressOf(key))} within {_options.Retry.AttemptTimeout.TotalSeconds:0.#} s"
            : S3Errors.Map(failure.Error, Root, key, _endpoint).Message;
        return new ObjectStoreException($"{last} (gave up after {failure.Attempts} attempts in {failure.Elapsed.TotalSeconds:0.0} s)", failure.Error);
    }

    private static bool HasRegionInEnvironment() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_REGION"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"));

    private static string StripQuotes(string? etag) => etag is null ? "" : etag.Trim('"');

    private static DateTimeOffset ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UnixEpoch;
}
