// GetBench [--parallel N] BUCKET KEY [KEY...]: one GetObject of each whole object over the standard AWS environment
// (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), each body read into a discarding 1 MiB
// buffer. Without --parallel the objects are read one after another; with --parallel N, N workers take the next key
// from the list until none is left (N GETs in flight at most, each on its own pooled connection). Prints one JSON line:
// {"bytes":N,"seconds":S,"mbps":M,"objects":K,"parallel":N}, seconds from sending the first request to the last byte
// of the last object (the client is built and warmed by a HEAD of the first key first). The mount benchmark's baseline
// (one key), the prefetch benchmark's (a sequential download of a whole selection) and the benchmark suite's ceiling
// for cold small files (a plain client reading the same objects at the readers' concurrency, issue 21).
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

var parallel = 1;
if (args.Length >= 2 && args[0] == "--parallel")
{
    if (!int.TryParse(args[1], out parallel) || parallel < 1)
    {
        Console.Error.WriteLine($"GetBench: --parallel needs a positive number, not '{args[1]}'");
        return 2;
    }

    args = args[2..];
}

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: GetBench [--parallel N] BUCKET KEY [KEY...]");
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

long total = 0;
var next = -1;
string? failure = null;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, Math.Min(parallel, keys.Length)).Select(_ => Task.Run(WorkerAsync))).ConfigureAwait(false);
var seconds = clock.Elapsed.TotalSeconds;
if (failure is not null)
{
    Console.Error.WriteLine($"GetBench: {failure}");
    return 1;
}

Console.WriteLine(FormattableString.Invariant($"{{\"bytes\":{total},\"seconds\":{seconds:F4},\"mbps\":{total / seconds / 1e6:F1},\"objects\":{keys.Length},\"parallel\":{parallel}}}"));
return 0;

async Task WorkerAsync()
{
    var buffer = new byte[1 << 20];
    int i;
    while ((i = Interlocked.Increment(ref next)) < keys.Length && Volatile.Read(ref failure) is null)
    {
        var key = keys[i];
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
            Interlocked.CompareExchange(ref failure, $"read {read} bytes of {key}, expected {response.ContentLength}", null);
            return;
        }

        Interlocked.Add(ref total, read);
    }
}
