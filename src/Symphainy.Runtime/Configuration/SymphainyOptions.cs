using System.ComponentModel.DataAnnotations;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.Wal;

namespace Symphainy.Configuration;

/// <summary>
/// The platform's settings, bound from the <c>Symphainy</c> configuration section (so environment variables
/// <c>Symphainy__DataDirectory</c> work) and validated when the host starts.
/// </summary>
[OptionsSection(SectionName)]
public sealed class SymphainyOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Symphainy";

    /// <summary>
    /// Directory for the platform's durable state (write-ahead log, embedded state graph). Relative paths
    /// are resolved against the host's content root. Default: <c>symphainy-data</c>.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "a writable directory path is required")]
    public string DataDirectory { get; set; } = "symphainy-data";

    /// <summary>
    /// Name of this host process in logs, traces and saga leases; unique per process in a distributed
    /// deployment. Lowercase letters, digits and dashes, at most 63 characters. Default: <c>local</c>.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "a name is required")]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$", ErrorMessage = "use lowercase letters, digits and dashes, at most 63 characters, starting with a letter or digit")]
    public string InstanceName { get; set; } = "local";

    /// <summary>The write-ahead log: <c>Symphainy:Wal:*</c>.</summary>
    public WalOptions Wal { get; set; } = new();

    /// <summary>Sessions: <c>Symphainy:Sessions:*</c>.</summary>
    public SessionOptions Sessions { get; set; } = new();

    /// <summary>Intent intake: <c>Symphainy:Intake:*</c>.</summary>
    public IntakeOptions Intake { get; set; } = new();

    /// <summary>The saga engine: <c>Symphainy:Sagas:*</c>.</summary>
    public SagaOptions Sagas { get; set; } = new();
}
