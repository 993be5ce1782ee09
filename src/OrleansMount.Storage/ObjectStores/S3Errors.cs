using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>Turns AWS SDK and transport failures into <see cref="ObjectStoreException"/>s whose message says what to do.</summary>
internal static class S3Errors
{
    /// <summary>
    /// The exception to throw for <paramref name="error"/>, raised while working on
    /// <paramref name="key"/> (null for bucket-level calls) in <paramref name="root"/>'s bucket.
    /// </summary>
    public static ObjectStoreException Map(Exception error, StoreUri root, string? key, string endpoint)
    {
        var address = key is null ? $"s3://{root.Bucket}/" : root.AddressOf(key);
        if (error is AmazonS3Exception s3)
        {
            switch (s3.ErrorCode)
            {
                case "NoSuchBucket":
                    return new ObjectStoreException($"bucket {root.Bucket} does not exist (at {endpoint}): check the bucket name in {root}", error);
                case "NoSuchKey":
                    return new ObjectNotFoundException(address);
                case "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken":
                    return AccessDenied(root, s3.ErrorCode, error);
            }

            if (s3.StatusCode == HttpStatusCode.Forbidden)
            {
                return AccessDenied(root, s3.ErrorCode ?? "403 Forbidden", error);
            }
        }

        if (FindTransportFailure(error) is { } transport)
        {
            return new ObjectStoreException($"cannot reach the object store at {endpoint}: {transport}", error);
        }

        if (error is AmazonClientException && error.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase))
        {
            return new ObjectStoreException("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure a profile", error);
        }

        var code = error is AmazonServiceException service ? $"{service.ErrorCode ?? "error"} ({(int)service.StatusCode}): " : "";
        return new ObjectStoreException($"the object store at {endpoint} failed on {address}: {code}{error.Message}", error);
    }

    /// <summary>
    /// Whether a failure may pass if the request is made again: a 5xx or 429 answer (InternalError,
    /// SlowDown, ServiceUnavailable), or a transport failure (refused or reset connection, a body cut
    /// short, a timeout). A 4xx answer (not found, denied, precondition failed) is final.
    /// </summary>
    public static bool IsTransient(Exception error)
    {
        for (var e = (Exception?)error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AmazonServiceException service when service.StatusCode != 0:
                    return (int)service.StatusCode >= 500 || (int)service.StatusCode == 429
                        || service.ErrorCode is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestTimeout" or "InternalError" or "ServiceUnavailable";
                case ObjectStoreException:
                    return false;
                case HttpRequestException or IOException or SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    private static ObjectStoreException AccessDenied(StoreUri root, string code, Exception error) =>
        new($"access denied to s3://{root.Bucket}: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ({code})", error);

    private static string? FindTransportFailure(Exception error)
    {
        for (var e = (Exception?)error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException socket:
                    return socket.Message;
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } http:
                    return http.Message;
                case TaskCanceledException or TimeoutException:
                    return "the request timed out";
            }
        }

        return null;
    }
}
