using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OrleansMount.Grains.Membership;

/// <summary>
/// The stored form of a <see cref="SiloEntry"/>: a small JSON object with a format version
/// (<c>"v": 1</c>). Written by hand so the format is explicit and frozen by a golden test;
/// readers refuse versions they do not know instead of guessing.
/// </summary>
public static class SiloEntryFormat
{
    /// <summary>The format version written.</summary>
    public const int CurrentVersion = 1;

    // Relaxed escaping keeps '+' in offsets readable in redis-cli; the JSON never reaches HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(SiloEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", CurrentVersion);
            writer.WriteString("id", entry.SiloId);
            writer.WriteString("address", entry.Address.OriginalString);
            writer.WriteString("status", entry.Status.ToString());
            writer.WriteNumber("capacityBytes", entry.CapacityBytes);
            writer.WriteString("startedAt", entry.StartedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("heartbeatAt", entry.HeartbeatAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("version", entry.Version);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses a stored entry; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static SiloEntry Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var version = root.GetProperty("v").GetInt32();
            if (version != CurrentVersion)
            {
                throw new FormatException($"silo entry format version {version} is not supported (this build reads {CurrentVersion})");
            }

            return new SiloEntry(
                root.GetProperty("id").GetString()!,
                new Uri(root.GetProperty("address").GetString()!, UriKind.Absolute),
                Enum.Parse<SiloStatus>(root.GetProperty("status").GetString()!, ignoreCase: false),
                root.GetProperty("capacityBytes").GetInt64(),
                DateTimeOffset.Parse(root.GetProperty("startedAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                DateTimeOffset.Parse(root.GetProperty("heartbeatAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                root.GetProperty("version").GetString()!);
        }
        catch (FormatException)
        {
            throw;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            // UriFormatException is a FormatException and passes through above with its own message.
            throw new FormatException($"not a valid stored silo entry ({e.Message}): {Truncate(json)}", e);
        }
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
