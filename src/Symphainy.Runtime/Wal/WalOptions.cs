using System.ComponentModel.DataAnnotations;

namespace Symphainy.Wal;

/// <summary>Settings of the write-ahead log, under <c>Symphainy:Wal</c>.</summary>
public sealed class WalOptions
{
    /// <summary>Which log to use: <c>File</c> (default) or <c>InMemory</c>.</summary>
    public WalProvider Provider { get; set; } = WalProvider.File;

    /// <summary>
    /// Directory of the file log's segments. Relative paths resolve against <c>Symphainy:DataDirectory</c>.
    /// Default: <c>wal</c>.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "a directory path is required")]
    public string Directory { get; set; } = "wal";

    /// <summary>When an append counts as done: <c>Fsync</c> (default) or <c>OsBuffered</c>.</summary>
    public WalDurability Durability { get; set; } = WalDurability.Fsync;

    /// <summary>Size at which a segment file is sealed and a new one started. Default 64 MiB; at least 64 KiB.</summary>
    [Range(64 * 1024, 1L << 40, ErrorMessage = "must be between 65536 bytes (64 KiB) and 1 TiB")]
    public long SegmentSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest payload one record may carry. Default 4 MiB.</summary>
    [Range(1, 256 * 1024 * 1024, ErrorMessage = "must be between 1 byte and 256 MiB")]
    public int MaxRecordBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most bytes group commit writes in one batch (one write, one fsync). Default 1 MiB.</summary>
    [Range(4096, 256 * 1024 * 1024, ErrorMessage = "must be between 4096 bytes and 256 MiB")]
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Where segments removed by a checkpoint are moved. Empty (default): they are deleted.
    /// Relative paths resolve against <c>Symphainy:DataDirectory</c>.
    /// </summary>
    public string? ArchiveDirectory { get; set; }
}
