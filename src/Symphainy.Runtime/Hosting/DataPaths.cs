using Microsoft.Extensions.Hosting;
using Symphainy.Configuration;

namespace Symphainy.Hosting;

/// <summary>Resolves the platform's directories from <see cref="SymphainyOptions"/> and the host's content root.</summary>
public static class DataPaths
{
    /// <summary>The absolute data directory: <see cref="SymphainyOptions.DataDirectory"/>, relative to the content root.</summary>
    /// <param name="options">The platform options.</param>
    /// <param name="environment">The host environment, for its content root; the current directory when null.</param>
    public static string DataDirectory(SymphainyOptions options, IHostEnvironment? environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = environment?.ContentRootPath ?? Directory.GetCurrentDirectory();
        return Path.GetFullPath(Path.Combine(root, options.DataDirectory));
    }

    /// <summary>Resolves <paramref name="path"/> against the data directory (absolute paths stay as they are).</summary>
    /// <param name="options">The platform options.</param>
    /// <param name="environment">The host environment.</param>
    /// <param name="path">A path from the options, such as <c>Symphainy:Wal:Directory</c>.</param>
    public static string UnderDataDirectory(SymphainyOptions options, IHostEnvironment? environment, string path) =>
        Path.GetFullPath(Path.Combine(DataDirectory(options, environment), path));
}
