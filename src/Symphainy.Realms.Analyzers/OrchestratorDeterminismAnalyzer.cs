using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Symphainy.Realms.Analyzers;

/// <summary>
/// SYMR006: an orchestrator is replayed from the top after a crash, so outside its steps it must do the same thing every
/// time: no clock, no new ids or random values, no file I/O, no timers or sleeps of its own, no work started on the
/// side. Code inside a lambda passed to a step (<c>saga.Step</c>, <c>saga.Agent</c>, <c>saga.StepOrPark</c>) runs once
/// and is recorded, so it is not flagged. HttpClient is left to SYMR004, which flags it in any realm code.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class OrchestratorDeterminismAnalyzer : DiagnosticAnalyzer
{
    internal const string FixKey = "fix";
    internal const string DelayFix = "delay";

    private const string Clock = "read the clock inside a step (await saga.Step(\"now\", _ => Task.FromResult(...))) so replay returns the recorded value; for a wait use saga.Delay";
    private const string Ids = "create ids and random values inside a step so replay returns the recorded value";
    private const string Io = "do I/O inside a step, or in a service the orchestrator calls as a step";
    private const string Wait = "wait with await saga.Delay(name, delay): a durable timer, recorded, that survives restarts";
    private const string Concurrency = "start no work of your own: call services and agents as steps and let the Runtime schedule them";

    private static readonly ImmutableHashSet<string> StepMethods = ImmutableHashSet.Create("Step", "Agent", "StepOrPark");

    private static readonly ImmutableHashSet<string> FileTypes = ImmutableHashSet.Create(
        "System.IO.File", "System.IO.Directory", "System.IO.FileInfo", "System.IO.DirectoryInfo", "System.IO.FileStream",
        "System.IO.FileSystemWatcher", "System.IO.DriveInfo");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.NonDeterministicOrchestrator);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = RealmSymbols.From(start.Compilation);
            if (symbols.Orchestrator is null)
            {
                return;
            }

            start.RegisterOperationAction(
                c => Analyze(c, symbols),
                OperationKind.PropertyReference, OperationKind.Invocation, OperationKind.ObjectCreation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, RealmSymbols symbols)
    {
        var owner = context.ContainingSymbol.ContainingType;
        if (owner is null || symbols.RoleOf(owner) != RealmRole.Orchestrator)
        {
            return;
        }

        var operation = context.Operation;
        if (Classify(operation) is not { } hint || InsideStep(operation, symbols))
        {
            return;
        }

        var properties = hint == Wait ? ImmutableDictionary<string, string?>.Empty.Add(FixKey, DelayFix) : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.NonDeterministicOrchestrator, operation.Syntax.GetLocation(), properties, Name(operation), owner.Name, hint));
    }

    /// <summary>The hint for a non-deterministic operation, or null when it is deterministic.</summary>
    private static string? Classify(IOperation operation)
    {
        switch (operation)
        {
            case IPropertyReferenceOperation reference:
            {
                var property = reference.Property;
                var type = property.ContainingType.ToDisplayString();
                return (type, property.Name) switch
                {
                    ("System.DateTime", "Now" or "UtcNow" or "Today") => Clock,
                    ("System.DateTimeOffset", "Now" or "UtcNow") => Clock,
                    ("System.Environment", "TickCount" or "TickCount64") => Clock,
                    ("System.TimeProvider", "System") => Clock,
                    ("System.Random", "Shared") => Ids,
                    ("System.Threading.Tasks.Task", "Factory") => Concurrency,
                    _ when FileTypes.Contains(type) => Io,
                    _ => null,
                };
            }

            case IInvocationOperation invocation:
            {
                var method = invocation.TargetMethod;
                var type = method.ContainingType.ToDisplayString();
                if (IsTimeProvider(method.ContainingType))
                {
                    // TimeProvider.System.GetUtcNow() is reported once, at TimeProvider.System.
                    return invocation.Instance is IPropertyReferenceOperation { Property.Name: "System" } ? null : Clock;
                }

                return (type, method.Name) switch
                {
                    ("System.Guid", "NewGuid") => Ids,
                    ("System.Guid", "CreateVersion7") when method.Parameters.Length == 0 => Ids,
                    ("System.Diagnostics.Stopwatch", "StartNew" or "GetTimestamp" or "GetElapsedTime") when method.IsStatic => Clock,
                    ("System.Threading.Tasks.Task", "Delay") => Wait,
                    ("System.Threading.Thread", "Sleep") => Wait,
                    ("System.Threading.Tasks.Task", "Run") => Concurrency,
                    ("System.Threading.Tasks.TaskFactory", "StartNew") => null, // reported at Task.Factory
                    ("System.Threading.ThreadPool", _) => Concurrency,
                    ("System.Threading.Tasks.Parallel", _) => Concurrency,
                    _ when FileTypes.Contains(type) => Io,
                    _ => null,
                };
            }

            case IObjectCreationOperation creation when creation.Type is { } created:
            {
                var type = created.ToDisplayString();
                return type switch
                {
                    "System.Random" when creation.Arguments.Length == 0 => Ids,
                    "System.Diagnostics.Stopwatch" => Clock,
                    "System.Threading.Timer" or "System.Threading.PeriodicTimer" or "System.Timers.Timer" => Wait,
                    "System.Threading.Thread" => Concurrency,
                    "System.IO.StreamReader" or "System.IO.StreamWriter" when FirstArgumentIsPath(creation) => Io,
                    _ when FileTypes.Contains(type) => Io,
                    _ => null,
                };
            }

            default:
                return null;
        }
    }

    private static bool IsTimeProvider(INamedTypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == "System.TimeProvider")
            {
                return true;
            }
        }

        return false;
    }

    private static bool FirstArgumentIsPath(IObjectCreationOperation creation) =>
        creation.Arguments.Length > 0 && creation.Arguments[0].Value.Type?.SpecialType == SpecialType.System_String;

    private static string Name(IOperation operation) => operation switch
    {
        IPropertyReferenceOperation reference => reference.Property.ContainingType.Name + "." + reference.Property.Name,
        IInvocationOperation invocation => invocation.TargetMethod.ContainingType.Name + "." + invocation.TargetMethod.Name,
        IObjectCreationOperation creation => "new " + creation.Type?.Name,
        _ => operation.Syntax.ToString(),
    };

    /// <summary>Whether <paramref name="operation"/> is inside a lambda passed to a step, which runs once and is recorded.</summary>
    private static bool InsideStep(IOperation operation, RealmSymbols symbols)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is not IAnonymousFunctionOperation)
            {
                continue;
            }

            var argument = current.Parent;
            while (argument is IDelegateCreationOperation or IConversionOperation)
            {
                argument = argument.Parent;
            }

            if (argument is IArgumentOperation { Parent: IInvocationOperation invocation } && IsStep(invocation.TargetMethod, symbols))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsStep(IMethodSymbol method, RealmSymbols symbols)
    {
        if (!StepMethods.Contains(method.Name))
        {
            return false;
        }

        var receiver = method.ReducedFrom ?? method;
        return symbols.IsSagaContext(method.ContainingType) ||
            (receiver.IsExtensionMethod && receiver.Parameters.Length > 0 && symbols.IsSagaContext(receiver.Parameters[0].Type));
    }
}
