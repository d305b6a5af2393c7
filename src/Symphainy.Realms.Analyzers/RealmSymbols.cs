using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Symphainy.Realms.Analyzers;

/// <summary>The four roles of the authoring model.</summary>
internal enum RealmRole
{
    None,
    Manager,
    Orchestrator,
    Service,
    Agent,
}

/// <summary>
/// The types the rules are about, looked up by metadata name in one compilation, so a rule whose types are not
/// referenced (no Redis, no EF Core) simply finds nothing.
/// </summary>
internal sealed class RealmSymbols
{
    private static readonly string[] StoreNamespaces =
    [
        "Microsoft.Data.Sqlite", "Microsoft.Data.SqlClient", "System.Data.SqlClient", "System.Data.SQLite", "Npgsql",
        "MySql.Data", "MySqlConnector", "Oracle.ManagedDataAccess", "StackExchange.Redis", "Microsoft.EntityFrameworkCore",
        "MongoDB.Driver", "Dapper", "Microsoft.Azure.Cosmos", "Cassandra", "ArangoDBNetStandard", "LiteDB", "RavenDB",
        "Raven.Client",
    ];

    private static readonly string[] StoreTypeNames =
    [
        "System.Data.IDbConnection", "System.Data.IDbCommand", "System.Data.IDataReader",
        "System.Data.Common.DbConnection", "System.Data.Common.DbCommand", "System.Data.Common.DbDataSource",
        "System.Data.Common.DbDataReader", "System.Data.Common.DbProviderFactory",
        "System.Net.Http.HttpClient", "System.Net.Http.HttpMessageInvoker", "System.Net.Sockets.Socket",
        "System.Net.Sockets.TcpClient", "System.Net.WebClient",
        "Symphainy.Wal.IWriteAheadLog", "Symphainy.State.IHotStateStore", "Symphainy.State.IStateGraph",
        "Symphainy.Events.IExecutionEventBus", "Symphainy.Sessions.ISessionRegistry",
    ];

    private RealmSymbols(Compilation compilation)
    {
        RealmManager = compilation.GetTypeByMetadataName("Symphainy.Realms.RealmManager");
        RealmService = compilation.GetTypeByMetadataName("Symphainy.Realms.IRealmService");
        Orchestrator = compilation.GetTypeByMetadataName("Symphainy.Sagas.Orchestrator`2");
        SagaContext = compilation.GetTypeByMetadataName("Symphainy.Sagas.SagaContext");
        AgentBase = compilation.GetTypeByMetadataName("Symphainy.Agents.AgentBase`2");
        ChatClient = compilation.GetTypeByMetadataName("Microsoft.Extensions.AI.IChatClient");
        var stores = ImmutableHashSet.CreateBuilder<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var name in StoreTypeNames)
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                stores.Add(type);
            }
        }

        StoreTypes = stores.ToImmutable();
    }

    public INamedTypeSymbol? RealmManager { get; }

    public INamedTypeSymbol? RealmService { get; }

    public INamedTypeSymbol? Orchestrator { get; }

    public INamedTypeSymbol? SagaContext { get; }

    public INamedTypeSymbol? AgentBase { get; }

    public INamedTypeSymbol? ChatClient { get; }

    public ImmutableHashSet<INamedTypeSymbol> StoreTypes { get; }

    /// <summary>Whether the compilation knows the authoring model at all (it references Symphainy.Realms or the Runtime).</summary>
    public bool HasAuthoringModel => RealmManager is not null || RealmService is not null || Orchestrator is not null;

    public static RealmSymbols From(Compilation compilation) => new(compilation);

    /// <summary>The role of <paramref name="type"/>, or of the type it is nested in.</summary>
    public RealmRole RoleOf(ITypeSymbol? type)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.ContainingType)
        {
            var role = OwnRole(current);
            if (role != RealmRole.None)
            {
                return role;
            }
        }

        return RealmRole.None;
    }

    /// <summary>The role of <paramref name="type"/> itself.</summary>
    public RealmRole OwnRole(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return RealmRole.None;
        }

        for (var baseType = named.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            var definition = baseType.OriginalDefinition;
            if (Is(definition, Orchestrator))
            {
                return RealmRole.Orchestrator;
            }

            if (Is(definition, AgentBase))
            {
                return RealmRole.Agent;
            }

            if (Is(definition, RealmManager))
            {
                return RealmRole.Manager;
            }
        }

        return IsService(named) ? RealmRole.Service : RealmRole.None;
    }

    /// <summary>Whether <paramref name="type"/> implements IRealmService.</summary>
    public bool IsService(ITypeSymbol? type) =>
        RealmService is not null && type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct or TypeKind.Interface } named &&
        (Is(named, RealmService) || Contains(named.AllInterfaces, RealmService));

    /// <summary>Whether <paramref name="type"/> is an agent (derives from AgentBase).</summary>
    public bool IsAgent(ITypeSymbol? type) => OwnRole(type) == RealmRole.Agent;

    /// <summary>Whether <paramref name="type"/> is IChatClient or implements it.</summary>
    public bool IsChatClient(ITypeSymbol? type) =>
        ChatClient is not null && type is INamedTypeSymbol named && (Is(named, ChatClient) || Contains(named.AllInterfaces, ChatClient));

    /// <summary>The store or network type <paramref name="type"/> is or derives from, or null.</summary>
    public string? StoreTypeOf(ITypeSymbol? type)
    {
        if (type is IArrayTypeSymbol array)
        {
            type = array.ElementType;
        }

        if (type is not INamedTypeSymbol named || named.SpecialType != SpecialType.None)
        {
            return null;
        }

        foreach (var candidate in SelfBasesAndInterfaces(named))
        {
            var definition = candidate.OriginalDefinition;
            if (StoreTypes.Contains(definition) || InStoreNamespace(definition))
            {
                return definition.ToDisplayString();
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="type"/> is the saga context steps are recorded through.</summary>
    public bool IsSagaContext(ITypeSymbol? type) => SagaContext is not null && Is(type, SagaContext);

    internal static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected) =>
        type is not null && expected is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, expected);

    private static bool Contains(ImmutableArray<INamedTypeSymbol> types, INamedTypeSymbol expected)
    {
        foreach (var type in types)
        {
            if (Is(type, expected))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<INamedTypeSymbol> SelfBasesAndInterfaces(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            yield return current;
        }

        foreach (var contract in type.AllInterfaces)
        {
            yield return contract;
        }
    }

    private static bool InStoreNamespace(INamedTypeSymbol type)
    {
        var name = type.ContainingNamespace?.ToDisplayString();
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var store in StoreNamespaces)
        {
            if (name == store || name!.StartsWith(store + ".", System.StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
