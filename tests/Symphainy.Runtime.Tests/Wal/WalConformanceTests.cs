using Microsoft.Extensions.Time.Testing;
using Symphainy.Conformance.Wal;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Wal;

public sealed class InMemoryWriteAheadLogConformanceTests : WriteAheadLogConformance
{
    protected override ValueTask<IWriteAheadLog> CreateLogAsync(FakeTimeProvider time) =>
        ValueTask.FromResult<IWriteAheadLog>(new InMemoryWriteAheadLog(time));
}

public sealed class FileWriteAheadLogConformanceTests : WriteAheadLogConformance, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-wal-");

    // Small segments, so the suite also crosses segment boundaries and the checkpoint removes some.
    protected override ValueTask<IWriteAheadLog> CreateLogAsync(FakeTimeProvider time) =>
        ValueTask.FromResult<IWriteAheadLog>(new FileWriteAheadLog(
            Path.Combine(_directory.FullName, Guid.CreateVersion7().ToString("N")),
            new WalOptions { SegmentSizeBytes = 64 * 1024 },
            time));

    public void Dispose() => _directory.Delete(recursive: true);
}
