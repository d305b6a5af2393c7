using System.ComponentModel.DataAnnotations;
using Symphainy.Configuration;

namespace Symphainy.PublicWorks.Sqlite;

/// <summary>Settings of the SQLite state graph, under <c>Symphainy:Sqlite</c>.</summary>
[OptionsSection(SectionName)]
public sealed class SqliteStateGraphOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Symphainy:Sqlite";

    /// <summary>The database file; relative paths resolve against <c>Symphainy:DataDirectory</c>. Default <c>state-graph.db</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "a database file path is required")]
    public string Path { get; set; } = "state-graph.db";

    /// <summary>How long a write waits for a lock held by another connection or process. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "must be between 0 and 1 hour")]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
