using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Symphainy.Blobs;

/// <summary>
/// <see cref="IBlobStore"/> on the file system: <c>{root}/{tenant}/{first two hex digits}/{sha256}</c>. A document is
/// written to a temporary file, hashed while written, synced, then renamed into place, so a reader never sees a
/// partial document and a crash leaves at most a temporary file that the next put of the same bytes replaces.
/// </summary>
public sealed partial class FileBlobStore : IBlobStore
{
    private readonly string _root;

    /// <summary>Creates the store.</summary>
    /// <param name="root">The directory that holds every tenant's documents.</param>
    public FileBlobStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
    }

    /// <inheritdoc/>
    public async ValueTask<BlobRef> PutAsync(TenantId tenant, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var tenantDirectory = Directory.CreateDirectory(Path.Combine(_root, tenant.ToString())).FullName;
        var temporary = Path.Combine(tenantDirectory, $".incoming-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}");
        long length = 0;
        string sha;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    length += read;
                }

                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            var final = PathOf(tenant, sha);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }

        return new BlobRef(tenant, sha, length);
    }

    /// <inheritdoc/>
    public ValueTask<Stream> OpenAsync(TenantId tenant, string sha256, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenant, sha256);
        return File.Exists(path)
            ? ValueTask.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous))
            : throw NotFound(sha256);
    }

    /// <inheritdoc/>
    public ValueTask<bool> ExistsAsync(TenantId tenant, string sha256, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(File.Exists(PathOf(tenant, sha256)));

    /// <inheritdoc/>
    public async ValueTask<byte[]> ReadVerifiedAsync(TenantId tenant, string sha256, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenant, sha256);
        if (!File.Exists(path))
        {
            throw NotFound(sha256);
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha256)
        {
            throw new SymphainyException(FoundationsErrorCodes.BlobCorrupt, $"Document {sha256} of tenant {tenant} no longer matches its hash; restore {path} from a backup.");
        }

        return bytes;
    }

    private static long s_counter;

    private string PathOf(TenantId tenant, string sha256)
    {
        if (sha256 is null || !HashPattern().IsMatch(sha256))
        {
            throw new SymphainyException(FoundationsErrorCodes.BlobInvalidHash, $"'{sha256}' is not a SHA-256 hash of 64 lowercase hex digits.");
        }

        if (tenant.Value == Guid.Empty)
        {
            throw new SymphainyException(FoundationsErrorCodes.BlobInvalidHash, "A document needs a tenant; default(TenantId) is not one.");
        }

        return Path.Combine(_root, tenant.ToString(), sha256[..2], sha256);
    }

    private static SymphainyException NotFound(string sha256) =>
        new(FoundationsErrorCodes.BlobNotFound, $"No document {sha256} exists in this tenant.");

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex HashPattern();
}
