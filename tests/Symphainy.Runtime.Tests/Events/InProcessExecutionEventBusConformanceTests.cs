using Symphainy.Conformance.Events;
using Symphainy.Events;

namespace Symphainy.Runtime.Tests.Events;

public sealed class InProcessExecutionEventBusConformanceTests : ExecutionEventBusConformance
{
    protected override ValueTask<IExecutionEventBus> CreateBusAsync(int capacity) =>
        ValueTask.FromResult<IExecutionEventBus>(new InProcessExecutionEventBus(capacity));
}
