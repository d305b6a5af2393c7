using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Symphainy.Architecture.Tests;

/// <summary>
/// Agents have no side effects, by construction: the Agents package calls no member of a port that writes (the state
/// graph's reads excepted), and what an agent is given (its context) holds nothing that writes.
/// </summary>
public sealed class AgentsWriteNothingTests
{
    // Ports that write, with the members of each that only read (allowed).
    private static readonly Dictionary<string, string[]> WritePorts = new()
    {
        ["Symphainy.Wal.IWriteAheadLog"] = [],
        ["Symphainy.Wal.ISharedWriteAheadLog"] = [],
        ["Symphainy.State.IHotStateStore"] = [],
        ["Symphainy.State.IStateGraph"] = ["GetNodeAsync", "QueryNodesAsync", "GetEdgesAsync", "GetLineageAsync"],
        ["Symphainy.Events.IExecutionEventBus"] = [],
        ["Symphainy.Sessions.ISessionRegistry"] = [],
        ["Symphainy.Intake.IIntentIntake"] = [],
        ["Symphainy.Sagas.ISagaEngine"] = [],
        ["Symphainy.Blobs.IBlobStore"] = [],
        ["System.IServiceProvider"] = [],
    };

    [Fact]
    public void The_agents_package_calls_no_member_of_a_port_that_writes()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Symphainy.Agents.dll");
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var calls = new List<string>();
        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            var type = metadata.GetTypeReference((TypeReferenceHandle)member.Parent);
            calls.Add($"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}::{metadata.GetString(member.Name)}");
        }

        calls.Should().Contain("Symphainy.State.IStateGraph::GetNodeAsync", "the scan sees the calls the package makes");
        var forbidden = calls.Where(call =>
        {
            var type = call[..call.IndexOf("::", StringComparison.Ordinal)];
            return WritePorts.TryGetValue(type, out var reads) && !reads.Contains(call[(call.IndexOf("::", StringComparison.Ordinal) + 2)..]);
        });
        forbidden.Should().BeEmpty("agents reason; the Runtime records what they return");
    }

    [Fact]
    public void What_an_agent_is_given_holds_nothing_that_writes()
    {
        var agents = Assembly.Load("Symphainy.Agents");
        var context = agents.GetType("Symphainy.Agents.AgentContext`1", throwOnError: true)!;
        Assembly[] planes = [typeof(IServiceProvider).Assembly, Assembly.Load("Symphainy.Runtime"), Assembly.Load("Symphainy.Foundations")];
        var ports = WritePorts.Keys.Select(name => planes.Select(a => a.GetType(name)).FirstOrDefault(t => t is not null)).OfType<Type>().ToList();
        ports.Should().HaveCount(WritePorts.Count);
        context.GetProperties().Select(p => p.PropertyType)
            .Where(t => ports.Any(port => port.IsAssignableFrom(t) || t.IsAssignableFrom(port)) && t != typeof(object))
            .Should().BeEmpty();
    }
}
