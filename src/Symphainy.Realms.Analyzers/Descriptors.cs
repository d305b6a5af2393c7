using Microsoft.CodeAnalysis;

namespace Symphainy.Realms.Analyzers;

/// <summary>The realm authoring rules, one stable id each (docs/analyzers.md explains every one).</summary>
internal static class Descriptors
{
    // Relative to the repository root: the page ships with the source, and a site does not exist yet.
    private const string HelpRoot = "docs/analyzers.md#";

    internal const string ServiceCallsServiceId = "SYMR001";
    internal const string AgentInServiceId = "SYMR002";
    internal const string OrchestratorStateId = "SYMR003";
    internal const string StoreAccessId = "SYMR004";
    internal const string ChatClientOutsideAgentId = "SYMR005";
    internal const string NonDeterministicOrchestratorId = "SYMR006";

    internal static readonly DiagnosticDescriptor ServiceCallsService = Rule(
        ServiceCallsServiceId,
        "A realm service must not call another realm service",
        "Service '{0}' uses service '{1}' ({2}): services never call each other; let the orchestrator call both as steps and pass the first one's result to the second",
        "Symphainy.Realms.Services");

    internal static readonly DiagnosticDescriptor AgentInService = Rule(
        AgentInServiceId,
        "A realm service must not use an agent or a chat client",
        "Service '{0}' uses '{1}' ({2}): a service is deterministic and does no reasoning; attach the agent to the realm (catalog.Agent<T>()) and call it from the orchestrator with saga.Agent",
        "Symphainy.Realms.Services");

    internal static readonly DiagnosticDescriptor OrchestratorState = Rule(
        OrchestratorStateId,
        "A realm type must not hold mutable state",
        "{0} '{1}' of {2} '{3}' is mutable state: an orchestrator is replayed from the top after a crash, and realm types are shared; keep the value in a local (replay rebuilds it) or return it from a step",
        "Symphainy.Realms.Orchestrators");

    internal static readonly DiagnosticDescriptor StoreAccess = Rule(
        StoreAccessId,
        "A realm type must not touch a database, a store or the network",
        "{0} '{1}' uses '{2}' ({3}): realms never write a store; the Runtime records what steps return. Give a service the data as its input and let the host's ports and Public Works adapters keep it.",
        "Symphainy.Realms.Stores");

    internal static readonly DiagnosticDescriptor ChatClientOutsideAgent = Rule(
        ChatClientOutsideAgentId,
        "Only an agent may reason with a chat client",
        "'{0}' uses IChatClient ({1}) outside an agent: reasoning is an agent's job, recorded as its artifact; move it into an AgentBase-derived agent and call that with saga.Agent",
        "Symphainy.Realms.Agents");

    internal static readonly DiagnosticDescriptor NonDeterministicOrchestrator = Rule(
        NonDeterministicOrchestratorId,
        "An orchestrator must be deterministic outside its steps",
        "'{0}' in orchestrator '{1}' runs outside a step, so it is not recorded and runs again, differently, when the saga is replayed after a crash: {2}",
        "Symphainy.Realms.Orchestrators");

    private static DiagnosticDescriptor Rule(string id, string title, string message, string category) =>
        new(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
            description: title + ".", helpLinkUri: HelpRoot + id.ToLowerInvariant());
}
