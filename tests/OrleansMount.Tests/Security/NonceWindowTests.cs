using OrleansMount.Core.Security;

namespace OrleansMount.Tests.Security;

[UnitTest]
public sealed class NonceWindowTests
{
    private const long T = 1_800_000_000;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    [Fact]
    public void A_nonce_is_accepted_again_only_after_its_second_left_the_window()
    {
        var window = new NonceWindow(Window);
        var nonce = Nonce.NewRandom();
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, nonce, T));
        Assert.Equal(NonceVerdict.Replayed, window.TryAdd(T, nonce, T + 1));
        Assert.Equal(NonceVerdict.Replayed, window.TryAdd(T, nonce, T + 300));
        Assert.Equal(1, window.Count);

        // Gone from memory once no signature of second T can pass the time check (RequestVerifier refuses it as stale first).
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, nonce, T + 301));
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T + 301, Nonce.NewRandom(), T + 602));
        Assert.Equal(1, window.Count);
        Assert.Equal(0, window.Forgotten);
    }

    [Fact]
    public void The_same_nonce_at_another_second_is_another_signature()
    {
        var window = new NonceWindow(Window);
        var nonce = Nonce.NewRandom();
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, nonce, T));
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T + 1, nonce, T + 1));
        Assert.Equal(NonceVerdict.Replayed, window.TryAdd(T + 1, nonce, T + 2));
    }

    [Fact]
    public void At_the_cap_the_oldest_seconds_are_forgotten_and_refused_never_let_through()
    {
        var window = new NonceWindow(Window, capacity: 3);
        var old1 = Nonce.NewRandom();
        var old2 = Nonce.NewRandom();
        var middle = Nonce.NewRandom();
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, old1, T));
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, old2, T));
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T + 1, middle, T + 1));

        // Full: second T is forgotten whole to make room.
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T + 2, Nonce.NewRandom(), T + 2));
        Assert.Equal(2, window.Count);
        Assert.Equal(2, window.Forgotten);

        // A replay from the forgotten second, and any new signature of that second, are refused.
        Assert.Equal(NonceVerdict.Forgotten, window.TryAdd(T, old1, T + 2));
        Assert.Equal(NonceVerdict.Forgotten, window.TryAdd(T, Nonce.NewRandom(), T + 2));
        Assert.Equal(NonceVerdict.Forgotten, window.TryAdd(T - 100, Nonce.NewRandom(), T + 2));
        Assert.Equal(NonceVerdict.Replayed, window.TryAdd(T + 1, middle, T + 2));
        Assert.Equal(2, window.Count);
    }

    [Fact]
    public void More_than_the_cap_within_one_second_refuses_the_rest_of_that_second()
    {
        var window = new NonceWindow(Window, capacity: 2);
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, Nonce.NewRandom(), T));
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T, Nonce.NewRandom(), T));
        Assert.Equal(NonceVerdict.Forgotten, window.TryAdd(T, Nonce.NewRandom(), T));
        Assert.Equal(NonceVerdict.Accepted, window.TryAdd(T + 1, Nonce.NewRandom(), T + 1));
        Assert.True(window.Count <= 2);
    }

    [Fact]
    public void Nonces_round_trip_through_their_hex_form()
    {
        var nonce = Nonce.NewRandom();
        Assert.Equal(32, nonce.ToString().Length);
        Assert.True(Nonce.TryParse(nonce.ToString(), out var parsed));
        Assert.Equal(nonce, parsed);
        Assert.False(Nonce.TryParse("00", out _));
        Assert.False(Nonce.TryParse("-0000000000000000000000000000000", out _));
    }
}
