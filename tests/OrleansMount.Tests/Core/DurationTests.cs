using OrleansMount.Core;

namespace OrleansMount.Tests.Core;

[UnitTest]
public sealed class DurationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData(" 3min ", 180_000)]
    public void Parses_a_number_with_a_unit(string text, double milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("-1s")]
    [InlineData("10h")]
    [InlineData("1e3ms")]
    [InlineData("999999m")]
    public void Refuses_anything_else(string text) => Assert.False(Duration.TryParse(text, out _));
}
