using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using OrleansMount.Grains.Membership;

namespace OrleansMount.Tests.Membership;

/// <summary>The stored entry format is frozen: silos of different builds share one table.</summary>
[UnitTest]
public sealed class SiloEntryFormatTests
{
    private const string Golden =
        """{"v":1,"id":"node-7","address":"http://10.1.2.3:11111","status":"ShuttingDown","capacityBytes":1099511627776,"startedAt":"2025-01-02T03:04:05.0060000+00:00","heartbeatAt":"2025-01-02T03:04:15.0000000+00:00","version":"0.3.0"}""";

    private static readonly SiloEntry Entry = new(
        "node-7",
        new Uri("http://10.1.2.3:11111"),
        SiloStatus.ShuttingDown,
        1L << 40,
        new DateTimeOffset(2025, 1, 2, 3, 4, 5, 6, TimeSpan.Zero),
        new DateTimeOffset(2025, 1, 2, 4, 4, 15, TimeSpan.FromHours(1)),
        "0.3.0");

    [Fact]
    public void Serialize_writes_the_golden_bytes() => Assert.Equal(Golden, SiloEntryFormat.Serialize(Entry));

    [Fact]
    public void Deserialize_reads_the_golden_bytes() => Assert.Equal(Entry, SiloEntryFormat.Deserialize(Golden));

    [Theory]
    [InlineData("""{"v":2,"id":"a"}""", "version 2")]
    [InlineData("""not json""", "not a valid stored silo entry")]
    [InlineData("""{"v":1,"id":"a"}""", "not a valid stored silo entry")]
    [InlineData("""{"v":1,"id":"a","address":"http://h:1","status":"Sleeping","capacityBytes":1,"startedAt":"2025-01-01T00:00:00Z","heartbeatAt":"2025-01-01T00:00:00Z","version":"v"}""", "Sleeping")]
    public void Deserialize_refuses_bad_input_with_the_reason(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => SiloEntryFormat.Deserialize(json));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_refuse_bad_fields()
    {
        Assert.Throws<ArgumentException>(() => Entry with { SiloId = "" });
        Assert.Throws<ArgumentException>(() => new SiloEntry("a b", Entry.Address, SiloStatus.Active, 1, default, default, ""));
        Assert.Throws<ArgumentException>(() => new SiloEntry("a", new Uri("file:///x"), SiloStatus.Active, 1, default, default, ""));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SiloEntry("a", Entry.Address, SiloStatus.Active, -1, default, default, ""));
    }
}
