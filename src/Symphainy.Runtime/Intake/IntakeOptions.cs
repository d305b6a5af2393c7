using System.ComponentModel.DataAnnotations;

namespace Symphainy.Intake;

/// <summary>Intake settings, under <c>Symphainy:Intake</c>.</summary>
public sealed class IntakeOptions
{
    /// <summary>Largest intent payload, in bytes of JSON. Default 1 MiB.</summary>
    [Range(16, 64 * 1024 * 1024, ErrorMessage = "must be between 16 bytes and 64 MiB")]
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>How long an idempotency key is remembered. Default 24 hours.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "must be between 1 second and 365 days")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);
}
