namespace Symphainy.Agents;

/// <summary>
/// Checks the facts an agent relies on where they enter its artifact: after a grounded agent's extraction stage and
/// again on every artifact an agent returns. Registered as <c>IFactPolicy</c> (many allowed; the Smart City's Librarian
/// is one, with its fact schemas); agents get them read-only in <see cref="AgentContext{TInput}.FactPolicies"/>.
/// </summary>
public interface IFactPolicy
{
    /// <summary>The schemas facts for <paramref name="tenant"/> may name, described for the model that extracts them.</summary>
    /// <param name="tenant">The tenant the agent works for.</param>
    /// <returns>The schemas.</returns>
    IEnumerable<FactSchemaInfo> SchemasFor(TenantId tenant);

    /// <summary>Checks one fact.</summary>
    /// <param name="tenant">The tenant the agent works for.</param>
    /// <param name="fact">The fact.</param>
    /// <returns>Why the fact is rejected, with the error code the call fails with; null when it is accepted.</returns>
    FactRejection? Check(TenantId tenant, Fact fact);
}

/// <summary>A schema a fact may name, as the extracting model is told about it.</summary>
/// <param name="Name">The name a fact gives as its <see cref="Fact.Schema"/>.</param>
/// <param name="Description">What facts of the schema state and what their value is, in words.</param>
public sealed record FactSchemaInfo(string Name, string Description);

/// <summary>Why a fact policy rejects a fact.</summary>
/// <param name="Code">The error the agent call fails with.</param>
/// <param name="Reason">What is wrong, in words.</param>
public sealed record FactRejection(ErrorCode Code, string Reason);
