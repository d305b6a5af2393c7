namespace Symphainy;

/// <summary>The error codes Foundations raises (the Curator, the projector, blob IO). Listed in <c>docs/errors.md</c>.</summary>
public static class FoundationsErrorCodes
{
    /// <summary>A capability name and version is registered twice.</summary>
    public static readonly ErrorCode DuplicateCapability = new(
        "curator.duplicate_capability", ErrorKind.Platform, isRetryable: false,
        "A capability with this name and version is already registered. Give the new one a higher version.");

    /// <summary>A capability version conflicts with the versions already registered.</summary>
    public static readonly ErrorCode IncompatibleCapability = new(
        "curator.incompatible_capability", ErrorKind.Platform, isRetryable: false,
        "A capability version conflicts with the ones registered: another realm owns the name, or its determinism differs. The message says which.");

    /// <summary>A capability descriptor is malformed.</summary>
    public static readonly ErrorCode InvalidCapability = new(
        "curator.invalid_capability", ErrorKind.Platform, isRetryable: false,
        "A capability descriptor is malformed (name, version, realm or description missing or invalid); the message names the field.");

    /// <summary>No blob with this hash exists in this tenant.</summary>
    public static readonly ErrorCode BlobNotFound = new(
        "blob.not_found", ErrorKind.Domain, isRetryable: false,
        "No document with this content hash exists in this tenant.");

    /// <summary>A blob hash is not 64 lowercase hex digits.</summary>
    public static readonly ErrorCode BlobInvalidHash = new(
        "blob.invalid_hash", ErrorKind.Domain, isRetryable: false,
        "A document reference is not a SHA-256 hash of 64 lowercase hex digits.");

    /// <summary>A stored blob no longer matches its hash.</summary>
    public static readonly ErrorCode BlobCorrupt = new(
        "blob.corrupt", ErrorKind.Platform, isRetryable: false,
        "A stored document no longer matches its SHA-256 hash; restore it from a backup.");
}
