namespace Symphainy.Blobs;

/// <summary>A stored document, named by its content.</summary>
/// <param name="Tenant">The tenant it belongs to.</param>
/// <param name="Sha256">Its SHA-256, 64 lowercase hex digits.</param>
/// <param name="Length">Its size in bytes.</param>
public sealed record BlobRef(TenantId Tenant, string Sha256, long Length);
