using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Symphainy.Realms.Analyzers;

/// <summary>
/// What realm types may depend on. Looks at every place a type's code names another type (field, property and parameter
/// types, object creations, invocations) and reports a service that uses another service (SYMR001), an agent or a chat
/// client (SYMR002), any realm type that uses a database, a store, the network or the Runtime's write ports (SYMR004),
/// and code outside an agent that reasons with a chat client (SYMR005).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class RealmDependencyAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableHashSet<string> ReasoningMethods =
        ImmutableHashSet.Create("GetResponseAsync", "GetStreamingResponseAsync");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.ServiceCallsService, Descriptors.AgentInService, Descriptors.StoreAccess, Descriptors.ChatClientOutsideAgent);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = RealmSymbols.From(start.Compilation);
            if (!symbols.HasAuthoringModel && symbols.ChatClient is null)
            {
                return;
            }

            // The Agents package is where chat clients are meant to be used.
            var reasoningAllowed = start.Compilation.AssemblyName == "Symphainy.Agents";
            var checker = new Checker(symbols, reasoningAllowed);
            start.RegisterSymbolAction(c => checker.Symbol(c), SymbolKind.Field, SymbolKind.Property, SymbolKind.Method);
            start.RegisterOperationAction(c => checker.Creation(c), OperationKind.ObjectCreation);
            start.RegisterOperationAction(c => checker.Invocation(c), OperationKind.Invocation);
        });
    }

    private sealed class Checker(RealmSymbols symbols, bool reasoningAllowed)
    {
        public void Symbol(SymbolAnalysisContext context)
        {
            var symbol = context.Symbol;
            if (symbol.IsImplicitlyDeclared || symbol.ContainingType is not { } owner)
            {
                return;
            }

            switch (symbol)
            {
                case IFieldSymbol field:
                    Check(owner, field.Type, "field " + field.Name, field.Locations, context.ReportDiagnostic, isCall: false);
                    break;
                case IPropertySymbol property:
                    Check(owner, property.Type, "property " + property.Name, property.Locations, context.ReportDiagnostic, isCall: false);
                    break;
                case IMethodSymbol method when method.MethodKind is MethodKind.Constructor or MethodKind.Ordinary or MethodKind.StaticConstructor
                    or MethodKind.ExplicitInterfaceImplementation or MethodKind.LocalFunction:
                    var what = method.MethodKind == MethodKind.Constructor ? "constructor parameter " : "parameter ";
                    foreach (var parameter in method.Parameters)
                    {
                        Check(owner, parameter.Type, what + parameter.Name, parameter.Locations, context.ReportDiagnostic, isCall: false);
                    }

                    break;
            }
        }

        public void Creation(OperationAnalysisContext context)
        {
            var creation = (IObjectCreationOperation)context.Operation;
            if (context.ContainingSymbol.ContainingType is { } owner && creation.Type is { } created)
            {
                Check(owner, created, "new " + created.Name, ImmutableArray.Create(creation.Syntax.GetLocation()), context.ReportDiagnostic, isCall: false);
            }
        }

        public void Invocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (context.ContainingSymbol.ContainingType is not { } owner)
            {
                return;
            }

            var method = invocation.TargetMethod;
            var receiver = method.IsExtensionMethod && invocation.Instance is null && invocation.Arguments.Length > 0
                ? Unwrap(invocation.Arguments[0].Value).Type
                : invocation.Instance?.Type;
            var location = ImmutableArray.Create(invocation.Syntax.GetLocation());
            var what = "calls " + method.Name;
            var isReasoning = ReasoningMethods.Contains(method.Name);

            // One diagnostic per call: the receiver names the dependency best; a static member's type otherwise.
            if (!Check(owner, receiver, what, location, context.ReportDiagnostic, isCall: isReasoning) && !method.IsExtensionMethod)
            {
                Check(owner, method.ContainingType, what, location, context.ReportDiagnostic, isCall: isReasoning);
            }
        }

        private static IOperation Unwrap(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        /// <summary>Reports what <paramref name="owner"/> may not use of <paramref name="used"/>; true when it reported.</summary>
        private bool Check(INamedTypeSymbol owner, ITypeSymbol? used, string what, ImmutableArray<Location> locations, System.Action<Diagnostic> report, bool isCall)
        {
            if (used is null || locations.IsEmpty || IsSelfOrBase(owner, used))
            {
                return false;
            }

            var role = symbols.RoleOf(owner);
            var location = locations[0];
            if (role == RealmRole.Service)
            {
                if (symbols.IsService(used))
                {
                    report(Diagnostic.Create(Descriptors.ServiceCallsService, location, owner.Name, used.Name, what));
                    return true;
                }

                if (symbols.IsAgent(used) || symbols.IsChatClient(used))
                {
                    report(Diagnostic.Create(Descriptors.AgentInService, location, owner.Name, used.Name, what));
                    return true;
                }
            }

            if (role != RealmRole.None && symbols.StoreTypeOf(used) is { } store)
            {
                report(Diagnostic.Create(Descriptors.StoreAccess, location, Describe(role), owner.Name, store, what));
                return true;
            }

            // Outside a realm type, only calling the model counts: hosts create and register chat clients.
            if (!reasoningAllowed && role is not (RealmRole.Agent or RealmRole.Service) && symbols.IsChatClient(used) &&
                !symbols.IsChatClient(owner) && (role != RealmRole.None || isCall))
            {
                report(Diagnostic.Create(Descriptors.ChatClientOutsideAgent, location, owner.Name, what));
                return true;
            }

            return false;
        }

        private static bool IsSelfOrBase(INamedTypeSymbol owner, ITypeSymbol used)
        {
            for (INamedTypeSymbol? current = owner; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, used.OriginalDefinition))
                {
                    return true;
                }
            }

            foreach (var contract in owner.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(contract.OriginalDefinition, used.OriginalDefinition))
                {
                    return true;
                }
            }

            return false;
        }

        private static string Describe(RealmRole role) => role switch
        {
            RealmRole.Manager => "Realm manager",
            RealmRole.Orchestrator => "Orchestrator",
            RealmRole.Service => "Service",
            _ => "Agent",
        };
    }
}
