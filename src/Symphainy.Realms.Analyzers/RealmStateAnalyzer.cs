using System.Linq;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Symphainy.Realms.Analyzers;

/// <summary>
/// SYMR003: an orchestrator holds no instance state (it is replayed from the top, and whatever a field held before a
/// crash is gone), nor does a service (a stateless singleton), and no realm type keeps static mutable state (shared by
/// every saga and tenant of the host).
/// Constants, and read-only fields of immutable values, are fine.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class RealmStateAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.OrchestratorState);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = RealmSymbols.From(start.Compilation);
            if (!symbols.HasAuthoringModel)
            {
                return;
            }

            var mutable = new MutableTypes(start.Compilation);
            start.RegisterSymbolAction(c => Analyze(c, symbols, mutable), SymbolKind.Field, SymbolKind.Property);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, RealmSymbols symbols, MutableTypes mutable)
    {
        var symbol = context.Symbol;
        if (symbol.IsImplicitlyDeclared || symbol.ContainingType is not { } owner)
        {
            return;
        }

        var role = symbols.OwnRole(owner);
        if (role == RealmRole.None)
        {
            return;
        }

        string? kind = symbol switch
        {
            IFieldSymbol { IsConst: true } => null,
            IFieldSymbol { IsReadOnly: true } field when !mutable.IsMutable(field.Type) => null,
            IFieldSymbol field when field.IsStatic || HoldsNoState(role) => field.IsStatic ? "Static field" : "Field",
            IPropertySymbol property when IsAutoProperty(property, context.CancellationToken) && (property.IsStatic || HoldsNoState(role)) &&
                (HasSetter(property) || mutable.IsMutable(property.Type)) => property.IsStatic ? "Static property" : "Property",
            _ => null,
        };

        if (kind is not null)
        {
            var roleName = role switch
            {
                RealmRole.Manager => "realm manager",
                RealmRole.Orchestrator => "orchestrator",
                RealmRole.Service => "service",
                _ => "agent",
            };
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.OrchestratorState, symbol.Locations[0], kind, symbol.Name, roleName, owner.Name));
        }
    }

    // Orchestrators are replayed and services are stateless singletons; managers and agents may keep what they were built with.
    private static bool HoldsNoState(RealmRole role) => role is RealmRole.Orchestrator or RealmRole.Service;

    private static bool HasSetter(IPropertySymbol property) => property.SetMethod is { IsInitOnly: false };

    private static bool IsAutoProperty(IPropertySymbol property, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax { ExpressionBody: null, AccessorList: { } accessors } &&
                accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Types whose instances change after creation: arrays, collections, string builders.</summary>
    private sealed class MutableTypes(Compilation compilation)
    {
        private readonly INamedTypeSymbol? _collection = compilation.GetTypeByMetadataName("System.Collections.ICollection");
        private readonly INamedTypeSymbol? _genericCollection = compilation.GetTypeByMetadataName("System.Collections.Generic.ICollection`1");
        private readonly INamedTypeSymbol? _builder = compilation.GetTypeByMetadataName("System.Text.StringBuilder");

        public bool IsMutable(ITypeSymbol type)
        {
            if (type is IArrayTypeSymbol)
            {
                return true;
            }

            if (type is not INamedTypeSymbol named || named.ContainingNamespace?.ToDisplayString() == "System.Collections.Immutable" ||
                named.ContainingNamespace?.ToDisplayString() == "System.Collections.Frozen")
            {
                return false;
            }

            return RealmSymbols.Is(named, _builder) || RealmSymbols.Is(named, _collection) || RealmSymbols.Is(named, _genericCollection) ||
                named.AllInterfaces.Any(i => RealmSymbols.Is(i, _collection) || RealmSymbols.Is(i, _genericCollection));
        }
    }
}
