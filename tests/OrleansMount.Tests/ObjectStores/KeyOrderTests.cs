using System.Text;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

[UnitTest]
public sealed class KeyOrderTests
{
    [Theory]
    [InlineData("a", "b")]
    [InlineData("a", "ab")]
    [InlineData("a b", "a/b")]
    [InlineData("a.txt", "a/b")]
    [InlineData("Z", "a")]
    [InlineData("\uFF71", "\U0001F600")] // ordinal UTF-16 order says the opposite
    [InlineData("\uE000", "\U00010000")]
    [InlineData("\uD7FF", "\uE000")]
    public void OrdersByUtf8Bytes(string smaller, string larger)
    {
        Assert.True(KeyOrder.CompareKeys(smaller, larger) < 0);
        Assert.True(KeyOrder.CompareKeys(larger, smaller) > 0);
        Assert.Equal(0, KeyOrder.CompareKeys(smaller, new string(smaller.AsSpan())));
    }

    [Fact]
    public void AgreesWithComparingUtf8BytesOnRandomKeys()
    {
        string[] pool = ["a", "b", "/", " ", ".", "-", "é", "\u4E2D", "\uFF71", "\uFFFD", "\uE000", "\U0001F600", "\U00010000", "\U0010FFFF"];
        var random = new Random(1234);
        string Next() => string.Concat(Enumerable.Range(0, random.Next(0, 6)).Select(_ => pool[random.Next(pool.Length)]));

        for (var i = 0; i < 20_000; i++)
        {
            var x = Next();
            var y = Next();
            var expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));

            Assert.True(expected == Math.Sign(KeyOrder.CompareKeys(x, y)), $"'{x}' vs '{y}'");
        }
    }
}
