// GetBench BUCKET KEY: one GetObject of the whole object over the standard AWS environment
// (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), the body read into a
// discarding 1 MiB buffer. Prints one JSON line: {"bytes":N,"seconds":S,"mbps":M}, seconds from
// sending the request to the last byte (the client is built and warmed by a HEAD first).
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: GetBench BUCKET KEY");
    return 2;
}

var config = new AmazonS3Config
{
    ForcePathStyle = true,
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
};
using var s3 = new AmazonS3Client(config);
var head = await s3.GetObjectMetadataAsync(args[0], args[1]).ConfigureAwait(false);

var buffer = new byte[1 << 20];
long total = 0;
var clock = Stopwatch.StartNew();
using (var response = await s3.GetObjectAsync(args[0], args[1]).ConfigureAwait(false))
{
    var body = response.ResponseStream;
    int n;
    while ((n = await body.ReadAsync(buffer).ConfigureAwait(false)) > 0)
    {
        total += n;
    }
}

var seconds = clock.Elapsed.TotalSeconds;
if (total != head.ContentLength)
{
    Console.Error.WriteLine($"GetBench: read {total} bytes, expected {head.ContentLength}");
    return 1;
}

Console.WriteLine(FormattableString.Invariant($"{{\"bytes\":{total},\"seconds\":{seconds:F4},\"mbps\":{total / seconds / 1e6:F1}}}"));
return 0;
