using System.Diagnostics;
using System.Text;
using Symphainy.Conformance;

namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>
/// The deployable host sample (samples/Symphainy.Samples.Host, the program of every compose role) run as a process:
/// with <c>Symphainy__Arango__Url</c> it keeps its state graph on ArangoDB (here the fake server), and it creates the
/// graph's collections when it starts.
/// </summary>
[Trait("Category", "Protocol")]
public sealed class ArangoHostSampleProtocolTests : IAsyncLifetime, IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-arango-host-");
    private FakeArangoServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeArangoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public async Task The_host_sample_chooses_the_arango_graph_when_its_url_is_configured_and_bootstraps_it_at_start()
    {
        var dll = BuiltPrograms.Dll("samples/Symphainy.Samples.Host");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            Environment =
            {
                ["HOST_ROLE"] = "all",
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Symphainy__DataDirectory"] = _data.FullName,
                ["Symphainy__Arango__Url"] = _server.Url,
                ["Symphainy__Arango__Password"] = "secret",
                ["Symphainy__Arango__CollectionPrefix"] = "sample_",
            },
        };
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Bounded wait on events, not a duration assertion: the host prints its choice, then starts (the graph is
            // bootstrapped and the projector reads its checkpoint).
            using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (!process.HasExited && !wait.IsCancellationRequested && !_server.Queries.Any(q => q.BindVars.TryGetProperty("@checkpoints", out _)))
            {
                await Task.Delay(100, CancellationToken.None);
            }

            Printed(output, "state graph on ArangoDB").Should().BeTrue($"the host should have started on the Arango graph; it printed:\n{Text(output)}");
            _server.Requests.Where(r => r.Path == "/_db/symphainy/_api/collection").Select(r => r.Json.GetProperty("name").GetString())
                .Should().Equal("sample_nodes", "sample_edges", "sample_checkpoints");
            _server.Queries.Select(q => q.BindVars.TryGetProperty("@checkpoints", out var c) ? c.GetString() : null)
                .Should().Contain("sample_checkpoints", "the projector reads its checkpoint from the Arango graph");
            File.Exists(Path.Combine(_data.FullName, "state-graph.db")).Should().BeFalse("no SQLite graph is opened");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    private static bool Printed(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
