namespace OrleansMount.Grains.Protocol;

/// <summary>Read throughput of one silo per tier over the sample interval ending at <paramref name="At"/>, in bytes per second.</summary>
public sealed record ThroughputSample(DateTimeOffset At, double Local, double Peer, double ObjectStore);
