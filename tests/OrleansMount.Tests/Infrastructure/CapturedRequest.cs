namespace OrleansMount.Tests.Infrastructure;

/// <summary>One request as <see cref="RequestCapture"/> received it; <paramref name="Wire"/> holds its exact bytes (head and body).</summary>
public sealed record CapturedRequest(string RequestLine, IReadOnlyDictionary<string, string> Headers, byte[] Body, byte[] Wire)
{
    /// <summary>A header's value; fails the test naming the headers that did arrive when it is missing.</summary>
    public string Header(string name) =>
        Headers.TryGetValue(name, out var value) ? value : throw new Xunit.Sdk.XunitException($"header {name} did not arrive; got {string.Join(", ", Headers.Keys)}");
}
