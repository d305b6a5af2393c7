namespace Symphainy.Experience;

/// <summary>Registered by AddExperience, so MapSymphainy can tell the plane was added.</summary>
internal sealed class ExperienceMarker;
