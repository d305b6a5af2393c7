using System.ComponentModel.DataAnnotations;
using Symphainy.Configuration;

namespace Symphainy.Experience;

/// <summary>Settings of the REST and WebSocket delivery, under <c>Symphainy:Experience</c>.</summary>
[OptionsSection(SectionName)]
public sealed class ExperienceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Symphainy:Experience";

    /// <summary>
    /// The largest request body accepted; a larger one is refused with 413 (<c>experience.payload_too_large</c>) before
    /// it is read further. Default 1 MiB plus 64 KiB (the intake's default payload limit and room for the envelope).
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1 byte")]
    public int MaxRequestBytes { get; set; } = (1024 * 1024) + (64 * 1024);

    /// <summary>How often a WebSocket subscription sends a heartbeat message, in seconds. Default 15.</summary>
    [Range(1, 3600, ErrorMessage = "must be between 1 and 3600 seconds")]
    public int HeartbeatSeconds { get; set; } = 15;
}
