using System.ComponentModel.DataAnnotations;

namespace Symphainy.Sessions;

/// <summary>Session settings, under <c>Symphainy:Sessions</c>.</summary>
public sealed class SessionOptions
{
    /// <summary>How long a session lives without being touched, unless created with its own. Default 30 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "must be between 1 second and 365 days")]
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The longest time to live a session may ask for. Default 7 days.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "must be between 1 second and 365 days")]
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an ended session stays readable (as ended) before it is forgotten. Default 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "must be between 1 second and 365 days")]
    public TimeSpan EndedRetention { get; set; } = TimeSpan.FromHours(1);
}
