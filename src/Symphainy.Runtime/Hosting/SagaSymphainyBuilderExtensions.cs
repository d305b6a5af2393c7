using System.Reflection;
using Symphainy;
using Symphainy.Hosting;
using Symphainy.Sagas;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers saga definitions.</summary>
public static class SagaSymphainyBuilderExtensions
{
    /// <summary>
    /// Registers orchestrator <typeparamref name="TOrchestrator"/> as saga <paramref name="name"/> at
    /// <paramref name="version"/>. Intents of type <paramref name="name"/> start it (the latest version, unless the
    /// intent names one); keep older versions registered while sagas started on them still run.
    /// </summary>
    /// <typeparam name="TOrchestrator">An <see cref="Orchestrator{TInput, TOutput}"/>.</typeparam>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="name">The saga's name, dotted lowercase, such as <c>orders.place</c>.</param>
    /// <param name="version">The version, from 1.</param>
    /// <param name="retry">Default retry policy of its steps.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddSaga<TOrchestrator>(this ISymphainyBuilder builder, string name, int version = 1, RetryPolicy? retry = null)
        where TOrchestrator : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        var types = FindOrchestratorBase(typeof(TOrchestrator))
            ?? throw new SymphainyException(ErrorCodes.SagaInvalidDefinition, $"{typeof(TOrchestrator).Name} is not an Orchestrator<TInput, TOutput>.");
        var create = typeof(SagaDefinition).GetMethod(nameof(SagaDefinition.Create))!.MakeGenericMethod(typeof(TOrchestrator), types[0], types[1]);
        var definition = (SagaDefinition)create.Invoke(null, [name, version, retry])!;
        builder.Services.AddSingleton(definition);
        return builder;
    }

    private static Type[]? FindOrchestratorBase(Type type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(Orchestrator<,>))
            {
                return current.GetGenericArguments();
            }
        }

        return null;
    }
}
