using Symphainy.Sagas;

namespace Symphainy.Samples.Realms.Content;

/// <summary><c>content.ingest</c>: parses the files into tables and passages with provenance, and lists the artifacts.</summary>
public sealed class IngestContent : Orchestrator<IngestRequest, IngestedContent>
{
    /// <inheritdoc/>
    public override async Task<IngestedContent> RunAsync(SagaContext saga, IngestRequest input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var documents = await ContentSteps.IngestAllAsync(saga, input.Files).ConfigureAwait(true);
        var artifacts = await saga.Step("content.list", (ContentIndex s) => s.List(documents)).ConfigureAwait(true);
        return new IngestedContent(documents, artifacts);
    }
}

/// <summary><c>content.retrieve</c>: parses the files and returns the facts the references name.</summary>
public sealed class RetrieveContent : Orchestrator<RetrieveRequest, RetrievedFacts>
{
    /// <inheritdoc/>
    public override async Task<RetrievedFacts> RunAsync(SagaContext saga, RetrieveRequest input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var documents = await ContentSteps.IngestAllAsync(saga, input.Files).ConfigureAwait(true);
        return await saga.Step("content.retrieve", (ContentIndex s) => s.Retrieve(documents, input.References)).ConfigureAwait(true);
    }
}
