namespace Symphainy.Blobs;

/// <summary>
/// Documents realms ingest, content-addressed by SHA-256 and kept per tenant: the same bytes stored twice are
/// stored once, and a reference can be checked against what it names.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> and returns its reference; durable when it returns.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="content">The bytes, read to the end.</param>
    /// <param name="cancellationToken">Cancels the write; nothing partial is left behind.</param>
    ValueTask<BlobRef> PutAsync(TenantId tenant, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens a stored document for reading; <c>blob.not_found</c> when the tenant has none with that hash.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="sha256">The hash.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    ValueTask<Stream> OpenAsync(TenantId tenant, string sha256, CancellationToken cancellationToken = default);

    /// <summary>Whether the tenant has a document with that hash.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="sha256">The hash.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask<bool> ExistsAsync(TenantId tenant, string sha256, CancellationToken cancellationToken = default);

    /// <summary>Reads a document whole and checks it still matches its hash (<c>blob.corrupt</c> otherwise).</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="sha256">The hash.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<byte[]> ReadVerifiedAsync(TenantId tenant, string sha256, CancellationToken cancellationToken = default);
}
