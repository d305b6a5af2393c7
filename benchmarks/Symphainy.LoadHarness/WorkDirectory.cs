using System.Globalization;

namespace Symphainy.LoadHarness;

/// <summary>
/// The run's data directory: fresh, on a disk-backed file system, deleted afterwards. The system temp
/// directory is used unless it is tmpfs/ramfs, where fsync costs nothing and durability numbers would lie;
/// then the current directory is used instead.
/// </summary>
internal static class WorkDirectory
{
    private static readonly string[] MemoryFileSystems = ["tmpfs", "ramfs"];

    /// <summary>Creates the run's directory under <paramref name="requestedRoot"/> (or the temp directory) and names its file system.</summary>
    public static (string Path, string FileSystem) Create(string? requestedRoot)
    {
        var root = requestedRoot ?? System.IO.Path.GetTempPath();
        if (requestedRoot is null && MemoryFileSystems.Contains(FileSystemOf(root)))
        {
            root = Directory.GetCurrentDirectory();
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(root), string.Create(CultureInfo.InvariantCulture, $"symphainy-harness-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(path);
        return (path, FileSystemOf(path));
    }

    /// <summary>Creates a fresh subdirectory for one variant.</summary>
    public static string Fresh(HarnessOptions options, string name)
    {
        var path = System.IO.Path.Combine(options.WorkDirectory, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a directory and everything in it, if it exists.</summary>
    public static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>The type of the file system holding <paramref name="path"/> (Linux), or "unknown".</summary>
    private static string FileSystemOf(string path)
    {
        const string mounts = "/proc/self/mounts";
        if (!OperatingSystem.IsLinux() || !File.Exists(mounts))
        {
            return "unknown";
        }

        var full = System.IO.Path.GetFullPath(path).TrimEnd('/') + "/";
        var best = (Length: -1, Type: "unknown");
        foreach (var line in File.ReadLines(mounts))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3)
            {
                continue;
            }

            var mountPoint = fields[1].Replace("\\040", " ", StringComparison.Ordinal).TrimEnd('/') + "/";
            if (full.StartsWith(mountPoint, StringComparison.Ordinal) && mountPoint.Length > best.Length)
            {
                best = (mountPoint.Length, fields[2]);
            }
        }

        return best.Type;
    }
}
