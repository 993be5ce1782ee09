// listbench BUCKET PREFIX
// Lists s3://BUCKET/PREFIX flat (no delimiter) with paginated ListObjectsV2 and prints one JSON
// line: objects, pages, bytes and the listing's own elapsed seconds. Endpoint, region and
// credentials come from the AWS environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY); path-style addressing is set here because the SDK does not infer it.
// Like the importer it keeps each object's key, size, ETag and time (a list of small records),
// so the two do the same listing work; it does not sort or write anything.
using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: listbench BUCKET PREFIX");
    return 2;
}

var bucket = args[0];
var prefix = args[1];
var config = new AmazonS3Config
{
    ForcePathStyle = true,
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
};
using var client = new AmazonS3Client(config);

var stopwatch = Stopwatch.StartNew();
var objects = new List<(string Key, long Size, string ETag, DateTime Modified)>();
long bytes = 0;
var pages = 0;
string? token = null;
do
{
    var response = await client.ListObjectsV2Async(new ListObjectsV2Request
    {
        BucketName = bucket,
        Prefix = prefix,
        ContinuationToken = token,
    }).ConfigureAwait(false);
    pages++;
    foreach (var o in response.S3Objects ?? [])
    {
        objects.Add((o.Key, o.Size ?? 0, o.ETag, o.LastModified ?? default));
        bytes += o.Size ?? 0;
    }

    token = response.IsTruncated == true ? response.NextContinuationToken : null;
}
while (token is not null);

var seconds = stopwatch.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"objects\": {objects.Count}, \"pages\": {pages}, \"bytes\": {bytes}, \"seconds\": {seconds:0.000}}}"));
return 0;
