namespace Symphainy;

/// <summary>Who is at fault when something fails, which decides how a caller should react.</summary>
public enum ErrorKind
{
    /// <summary>The platform or its infrastructure failed (storage, configuration, an invariant). Not the caller's input.</summary>
    Platform,

    /// <summary>A realm's domain rules refused the request, or the request itself is invalid.</summary>
    Domain,

    /// <summary>An agent could not produce a grounded answer. Never replaced by a fabricated fallback.</summary>
    Agent,
}
