using Symphainy;
using Symphainy.Capabilities;
using Symphainy.Hosting;
using Symphainy.Sagas;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers work: capabilities, each run as a saga by its orchestrator.</summary>
public static class CapabilitySymphainyBuilderExtensions
{
    /// <summary>
    /// Registers orchestrator <typeparamref name="TOrchestrator"/> as capability <paramref name="name"/> of
    /// <paramref name="realm"/>: intents of type <paramref name="name"/> start its saga (the latest version, unless
    /// the intent names one). This is the one way to register work; the Realm plane's managers call it for their
    /// capabilities. With Foundations (as <c>AddSymphainy</c> adds) the Curator derives input and output schemas from
    /// the orchestrator's types and validates payloads against them. Keep older versions registered while sagas
    /// started on them still run.
    /// </summary>
    /// <typeparam name="TOrchestrator">An <see cref="Orchestrator{TInput, TOutput}"/>.</typeparam>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="name">The capability's name, dotted lowercase, such as <c>orders.place</c>: the intent type that asks for it.</param>
    /// <param name="realm">The owning realm.</param>
    /// <param name="description">What it does, for a person.</param>
    /// <param name="version">Its version, from 1.</param>
    /// <param name="determinism">Whether the same input gives the same output.</param>
    /// <param name="idempotent">Whether running it twice equals running it once.</param>
    /// <param name="retry">Default retry policy of its steps.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddCapability<TOrchestrator>(
        this ISymphainyBuilder builder,
        string name,
        string realm,
        string description,
        int version = 1,
        Determinism determinism = Determinism.NonDeterministic,
        bool idempotent = false,
        RetryPolicy? retry = null)
        where TOrchestrator : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRuntime();
        builder.AddSaga<TOrchestrator>(name, version, retry);
        builder.Services.AddSingleton(new CapabilityRegistration(name, version, realm, description, determinism, idempotent));
        return builder;
    }

    /// <summary>Registers a bare saga definition (no capability description): the Runtime's own tests use it.</summary>
    internal static ISymphainyBuilder AddSaga<TOrchestrator>(this ISymphainyBuilder builder, string name, int version = 1, RetryPolicy? retry = null)
        where TOrchestrator : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(SagaDefinition.For<TOrchestrator>(name, version, retry));
        return builder;
    }
}
