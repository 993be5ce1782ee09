using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansMount.LatencyProxy;

var listen = new Option<string>("--listen") { Description = "IP:PORT to listen on; port 0 picks a free one (the bound address is printed).", DefaultValueFactory = _ => "127.0.0.1:0", HelpName = "IP:PORT" };
var target = new Option<string>("--target") { Description = "The object store to forward to, e.g. http://127.0.0.1:4568 (s3rver).", Required = true, HelpName = "http://HOST:PORT" };
var ttfb = new Option<int>("--ttfb-ms") { Description = "Time to first byte: no response headers earlier than this many milliseconds after the request arrived.", DefaultValueFactory = _ => 0, HelpName = "N" };
var bandwidth = new Option<double>("--bandwidth-mbps") { Description = "Body rate per request and direction, in megabits per second (800 = 100 MB/s); 0 for unlimited.", DefaultValueFactory = _ => 0, HelpName = "N" };
var fault = new Option<string[]>("--fault") { Description = "Inject a fault (repeatable, first match wins): KIND[:OPTION=VALUE,...], KIND 500|503|reset|reset-body|stall, options methods=GET|PUT, path=S, first=N, every=N, rate=P, stall-ms=N.", HelpName = "SPEC" };
var seed = new Option<int>("--seed") { Description = "Seed for rate= faults, so a run can be repeated.", DefaultValueFactory = _ => 1 };
var root = new RootCommand("orleansmount-latency-proxy: an HTTP reverse proxy in front of an S3-compatible store (s3rver) that adds time to first byte, per-request bandwidth and faults, for tests and benchmarks. Requests pass unchanged, so SigV4 signatures for the proxy's address verify.")
{
    listen, target, ttfb, bandwidth, fault, seed,
};
root.SetAction(async (parse, cancellationToken) =>
{
    ProxyOptions options;
    try
    {
        options = ProxyOptions.Validate(parse.GetValue(listen)!, parse.GetValue(target)!, parse.GetValue(ttfb), parse.GetValue(bandwidth), parse.GetValue(fault) ?? [], parse.GetValue(seed));
    }
    catch (ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"orleansmount-latency-proxy: {e.Message}").ConfigureAwait(false);
        return 2;
    }

    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = null; // multipart parts and large PUTs stream through
        kestrel.Listen(options.Listen);
    });
    using var upstream = new HttpClient(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        MaxConnectionsPerServer = 256,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the client's own timeout and disconnect end a request
    };
    var app = builder.Build();
    var handler = new ProxyHandler(options, upstream, new ProxyStats());
    app.Run(handler.HandleAsync);
    await app.StartAsync(cancellationToken).ConfigureAwait(false);

    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    var rate = options.BytesPerSecond == 0 ? "unlimited" : string.Create(CultureInfo.InvariantCulture, $"{options.BytesPerSecond / 1e6:0.###} MB/s per request");
    Console.WriteLine($"orleansmount-latency-proxy listening on {address} -> {options.Target.GetLeftPart(UriPartial.Authority)} (ttfb {options.TimeToFirstByte.TotalMilliseconds:0} ms, bandwidth {rate}, {options.Faults.Count} fault rules)");
    await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);

    await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
    return 0;
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
