using Microsoft.Extensions.Time.Testing;
using Symphainy.Conformance.State;
using Symphainy.State;

namespace Symphainy.Runtime.Tests.State;

public sealed class InMemoryHotStateStoreConformanceTests : HotStateStoreConformance
{
    protected override ValueTask<IHotStateStore> CreateStoreAsync(FakeTimeProvider time) =>
        ValueTask.FromResult<IHotStateStore>(new InMemoryHotStateStore(time));
}

public sealed class InMemoryStateGraphConformanceTests : StateGraphConformance
{
    protected override ValueTask<IStateGraph> CreateGraphAsync(FakeTimeProvider time) =>
        ValueTask.FromResult<IStateGraph>(new InMemoryStateGraph());
}
