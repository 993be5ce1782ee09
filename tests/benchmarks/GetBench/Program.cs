// GetBench BUCKET KEY [KEY...]: one GetObject of each whole object, one after another, over the standard
// AWS environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), each body read
// into a discarding 1 MiB buffer. Prints one JSON line: {"bytes":N,"seconds":S,"mbps":M,"objects":K},
// seconds from sending the first request to the last byte of the last object (the client is built and
// warmed by a HEAD of the first key first). The mount benchmark's baseline (one key) and the prefetch
// benchmark's (a sequential download of a whole selection).
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: GetBench BUCKET KEY [KEY...]");
    return 2;
}

var config = new AmazonS3Config
{
    ForcePathStyle = true,
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
};
using var s3 = new AmazonS3Client(config);
var bucket = args[0];
var keys = args[1..];
await s3.GetObjectMetadataAsync(bucket, keys[0]).ConfigureAwait(false);

var buffer = new byte[1 << 20];
long total = 0;
var clock = Stopwatch.StartNew();
foreach (var key in keys)
{
    long read = 0;
    using var response = await s3.GetObjectAsync(bucket, key).ConfigureAwait(false);
    var body = response.ResponseStream;
    int n;
    while ((n = await body.ReadAsync(buffer).ConfigureAwait(false)) > 0)
    {
        read += n;
    }

    if (read != response.ContentLength)
    {
        Console.Error.WriteLine($"GetBench: read {read} bytes of {key}, expected {response.ContentLength}");
        return 1;
    }

    total += read;
}

var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(FormattableString.Invariant($"{{\"bytes\":{total},\"seconds\":{seconds:F4},\"mbps\":{total / seconds / 1e6:F1},\"objects\":{keys.Length}}}"));
return 0;
