using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Internal;
using Symphainy.Wal.Records;

namespace Symphainy.Sagas;

/// <summary>A named, versioned saga: which orchestrator runs it, and its default retry policy.</summary>
public sealed class SagaDefinition
{
    private readonly Func<IServiceProvider, SagaContext, ReadOnlyMemory<byte>, object?, ValueTask<(byte[] Ended, Range Output)>> _run;
    private readonly Func<JsonElement, object?> _bind;

    private SagaDefinition(string name, int version, Type orchestrator, Type input, Type output, RetryPolicy retry, Func<JsonElement, object?> bind, Func<IServiceProvider, SagaContext, ReadOnlyMemory<byte>, object?, ValueTask<(byte[] Ended, Range Output)>> run)
    {
        Name = name;
        Version = version;
        Orchestrator = orchestrator;
        InputType = input;
        OutputType = output;
        Retry = retry;
        _bind = bind;
        _run = run;
    }

    /// <summary>The name intents use, such as <c>orders.place</c>.</summary>
    public string Name { get; }

    /// <summary>The version; running sagas stay on the version they started with.</summary>
    public int Version { get; }

    /// <summary>The orchestrator type.</summary>
    public Type Orchestrator { get; }

    /// <summary>The input type.</summary>
    public Type InputType { get; }

    /// <summary>The output type.</summary>
    public Type OutputType { get; }

    /// <summary>The retry policy of steps that name none.</summary>
    public RetryPolicy Retry { get; }

    /// <summary>Creates the definition of <typeparamref name="TOrchestrator"/>, finding its input and output types.</summary>
    /// <typeparam name="TOrchestrator">An <see cref="Orchestrator{TInput, TOutput}"/>.</typeparam>
    /// <param name="name">The name intents use.</param>
    /// <param name="version">The version, from 1.</param>
    /// <param name="retry">Default retry policy of its steps.</param>
    /// <exception cref="SymphainyException"><c>saga.invalid_definition</c> when the type is no orchestrator.</exception>
    public static SagaDefinition For<TOrchestrator>(string name, int version = 1, RetryPolicy? retry = null)
        where TOrchestrator : class
    {
        Type[]? types = null;
        for (var current = typeof(TOrchestrator); current is not null && types is null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(Orchestrator<,>))
            {
                types = current.GetGenericArguments();
            }
        }

        if (types is null)
        {
            throw new SymphainyException(ErrorCodes.SagaInvalidDefinition, $"{typeof(TOrchestrator).Name} is not an Orchestrator<TInput, TOutput>.");
        }

        var create = typeof(SagaDefinition).GetMethod(nameof(Create))!.MakeGenericMethod(typeof(TOrchestrator), types[0], types[1]);
        return (SagaDefinition)create.Invoke(null, [name, version, retry])!;
    }

    /// <summary>Creates the definition of <typeparamref name="TOrchestrator"/>.</summary>
    /// <typeparam name="TOrchestrator">The orchestrator.</typeparam>
    /// <typeparam name="TInput">Its input.</typeparam>
    /// <typeparam name="TOutput">Its output.</typeparam>
    /// <param name="name">The name intents use.</param>
    /// <param name="version">The version, from 1.</param>
    /// <param name="retry">Default retry policy of its steps.</param>
    public static SagaDefinition Create<TOrchestrator, TInput, TOutput>(string name, int version = 1, RetryPolicy? retry = null)
        where TOrchestrator : Orchestrator<TInput, TOutput>
    {
        if (string.IsNullOrWhiteSpace(name) || version < 1)
        {
            throw new SymphainyException(ErrorCodes.SagaInvalidDefinition, $"A saga definition needs a name and a version of at least 1 (got '{name}' v{version}).");
        }

        // Built once: creating the orchestrator through ActivatorUtilities on every run matched constructors each time.
        var factory = ActivatorUtilities.CreateFactory<TOrchestrator>(Type.EmptyTypes);
        return new SagaDefinition(name.Trim().ToLowerInvariant(), version, typeof(TOrchestrator), typeof(TInput), typeof(TOutput), retry ?? RetryPolicy.Default, static payload => payload.Deserialize<TInput>(SymphainyJson.Options), async ValueTask<(byte[] Ended, Range Output)> (services, context, input, bound) =>
        {
            var orchestrator = services.GetService<TOrchestrator>() ?? factory(services, null);
            var typedInput = bound is TInput boundInput ? boundInput
                : input.IsEmpty ? default! : JsonSerializer.Deserialize<TInput>(input.Span, SymphainyJson.Options)!;
            var output = await orchestrator.RunAsync(context, typedInput).ConfigureAwait(true);
            try
            {
                // The end record is encoded here, where the output's type is known: the output goes straight into it.
                var ended = WalPayloadCodec.EncodeCompleted(name, version, output, out var range);
                return (ended, range);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                throw new SymphainyException(ErrorCodes.StepResultNotRecordable, $"The output of saga '{name}' cannot be serialized to JSON: {e.Message}", e);
            }
        });
    }

    /// <summary>
    /// Runs the orchestrator on the recorded input (UTF-8 JSON), or on <paramref name="bound"/>, that input already
    /// bound by <see cref="BindInput"/> when the intent was accepted, and returns its <c>SagaEnded</c> payload with
    /// where the output lies in it.
    /// </summary>
    internal ValueTask<(byte[] Ended, Range Output)> RunAsync(IServiceProvider services, SagaContext context, ReadOnlyMemory<byte> input, object? bound) => _run(services, context, input, bound);

    /// <summary>
    /// Binds a payload to the input type, as the orchestrator will receive it; the problems when it cannot be (empty
    /// when it can). Intake binds every payload, so one that the orchestrator could not take is refused there, and
    /// the bound value is handed to the saga's first run instead of being read again.
    /// </summary>
    internal object? BindInput(JsonElement payload, out IReadOnlyList<string> problems)
    {
        try
        {
            var value = _bind(payload);
            problems = value is null && InputType.IsClass ? [$"$: a {InputType.Name} is required, the payload is null"] : [];
            return value;
        }
        catch (JsonException e)
        {
            problems = [$"{e.Path ?? "$"}: {e.Message}"];
        }
        catch (NotSupportedException e)
        {
            problems = [$"$: {e.Message}"];
        }
        catch (InvalidOperationException e)
        {
            problems = [$"$: {e.Message}"];
        }

        return null;
    }
}
