namespace Symphainy.Conformance;

/// <summary>The repository the tests run from, and the programs its solution build produced (run as child processes).</summary>
public static class BuiltPrograms
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The repository's root: the directory holding Symphainy.sln above the test's binaries.</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>
    /// The built assembly of a program of the solution, in the configuration these tests were built in; fails the test
    /// with the path when the solution build has not produced it.
    /// </summary>
    /// <param name="projectDirectory">The project's directory, relative to the repository (<c>samples/QuickStart</c>).</param>
    /// <param name="assembly">The assembly's name, without <c>.dll</c>; the directory's last part when null.</param>
    /// <returns>The full path of the program's dll.</returns>
    public static string Dll(string projectDirectory, string? assembly = null)
    {
        var dll = Path.Combine(Repository, projectDirectory, "bin", Configuration, "net10.0", (assembly ?? Path.GetFileName(projectDirectory)) + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"The solution build produces {dll}; build the solution first.", dll);
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Symphainy.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Symphainy.sln not found above " + AppContext.BaseDirectory);
    }
}
