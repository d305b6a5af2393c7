namespace Symphainy.Realms;

/// <summary>The error codes of the realm authoring model.</summary>
public static class RealmErrorCodes
{
    /// <summary>A realm declares something the authoring model does not allow; the host does not build.</summary>
    public static readonly ErrorCode InvalidRegistration = new(
        "realm.invalid_registration", ErrorKind.Platform, isRetryable: false,
        "A realm's declaration is not valid (the message says what and how to fix it): a realm name that is not lower case letters, digits and '_', a capability not named '{realm}.{action}', declared twice or without a description, or two realms of one name.");
}
