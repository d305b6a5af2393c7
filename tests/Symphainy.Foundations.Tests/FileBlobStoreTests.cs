using System.Security.Cryptography;
using System.Text;
using Symphainy.Blobs;

namespace Symphainy.Foundations.Tests;

public sealed class FileBlobStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("symphainy-blobs-");
    private readonly IdGenerator _ids = new(TimeProvider.System, new SeededRandomSource(2));

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task A_document_is_stored_under_its_sha256_and_reads_back_verified()
    {
        var store = new FileBlobStore(_root.FullName);
        var tenant = _ids.Next<TenantId>();
        var bytes = Encoding.UTF8.GetBytes("name,age\nada,36\n");

        var stored = await store.PutAsync(tenant, new MemoryStream(bytes));

        stored.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        stored.Length.Should().Be(bytes.Length);
        (await store.ReadVerifiedAsync(tenant, stored.Sha256)).Should().Equal(bytes);
        Directory.GetFiles(_root.FullName, "*", SearchOption.AllDirectories).Should().ContainSingle()
            .Which.Should().Contain(tenant.ToString()).And.EndWith(stored.Sha256);
    }

    [Fact]
    public async Task The_same_bytes_are_stored_once_and_tenants_do_not_see_each_others_documents()
    {
        var store = new FileBlobStore(_root.FullName);
        var owner = _ids.Next<TenantId>();
        var other = _ids.Next<TenantId>();
        var first = await store.PutAsync(owner, new MemoryStream([1, 2, 3]));
        var second = await store.PutAsync(owner, new MemoryStream([1, 2, 3]));

        second.Should().Be(first);
        (await store.ExistsAsync(owner, first.Sha256)).Should().BeTrue();
        (await store.ExistsAsync(other, first.Sha256)).Should().BeFalse();
        var read = async () => await store.OpenAsync(other, first.Sha256);
        (await read.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("blob.not_found");
    }

    [Fact]
    public async Task A_damaged_document_is_reported_and_a_bad_hash_is_refused()
    {
        var store = new FileBlobStore(_root.FullName);
        var tenant = _ids.Next<TenantId>();
        var stored = await store.PutAsync(tenant, new MemoryStream(new byte[1000]));
        var path = Directory.GetFiles(_root.FullName, stored.Sha256, SearchOption.AllDirectories).Single();
        await File.WriteAllBytesAsync(path, new byte[999]);

        var verify = async () => await store.ReadVerifiedAsync(tenant, stored.Sha256);
        (await verify.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("blob.corrupt");
        var traversal = async () => await store.OpenAsync(tenant, "../../etc/passwd");
        (await traversal.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("blob.invalid_hash");
    }
}
