using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Agents;
using Symphainy.Realms;

namespace Symphainy.Testing;

/// <summary>
/// Faults a test injects into the realm services and agents of a <see cref="SymphainyTestHost"/>: the next N steps that
/// use the service (or ask the agent) fail as if its code had thrown. The step fails like any step: recorded, retried by
/// its policy, compensated when it fails for good.
/// </summary>
/// <remarks>
/// A fault fires when a step resolves the service or agent, which happens only when the step runs live: a step replayed
/// from the log after a recovery resolves nothing and never sees a fault.
/// </remarks>
public sealed class FaultInjector
{
    private readonly ConcurrentDictionary<Type, Armed> _armed = new();
    private readonly ConcurrentDictionary<Type, int> _fired = new();

    /// <summary>Makes the next <paramref name="times"/> steps that use service <typeparamref name="TService"/> fail.</summary>
    /// <typeparam name="TService">A realm service (<see cref="IRealmService"/>) registered by a realm of the host.</typeparam>
    /// <param name="times">How many steps fail (at least 1).</param>
    /// <param name="error">The error they fail with; <see cref="TestingErrorCodes.InjectedFault"/> (retryable) when null.</param>
    /// <returns>The same injector.</returns>
    public FaultInjector FailService<TService>(int times = 1, Func<Exception>? error = null)
        where TService : class, IRealmService => Arm(typeof(TService), times, error ?? (() => Injected(typeof(TService), ErrorKind.Platform)));

    /// <summary>Makes the next <paramref name="times"/> calls of agent <typeparamref name="TAgent"/> fail (as an agent error).</summary>
    /// <typeparam name="TAgent">An agent (<see cref="AgentBase{TInput, TArtifact}"/>) registered by a realm of the host.</typeparam>
    /// <param name="times">How many calls fail (at least 1).</param>
    /// <param name="error">The error they fail with; <see cref="TestingErrorCodes.InjectedFault"/> of kind Agent when null.</param>
    /// <returns>The same injector.</returns>
    public FaultInjector FailAgent<TAgent>(int times = 1, Func<Exception>? error = null)
        where TAgent : class => Arm(typeof(TAgent), times, error ?? (() => Injected(typeof(TAgent), ErrorKind.Agent)));

    /// <summary>How many injected faults of <typeparamref name="T"/> fired so far.</summary>
    /// <typeparam name="T">The service or agent.</typeparam>
    /// <returns>The count.</returns>
    public int Fired<T>() => _fired.GetValueOrDefault(typeof(T));

    /// <summary>Disarms every fault not fired yet.</summary>
    public void Clear() => _armed.Clear();

    /// <summary>Replaces the registration of every realm service and agent with one that checks for an armed fault first.</summary>
    internal static void Decorate(IServiceCollection services, FaultInjector faults)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.IsKeyedService || !IsFaultable(descriptor.ServiceType) || descriptor.ServiceType.IsGenericTypeDefinition)
            {
                continue;
            }

            var type = descriptor.ServiceType;
            var original = new object();
            services.Add(Keyed(descriptor, original));
            services[i] = new ServiceDescriptor(type, sp =>
            {
                faults.ThrowIfArmed(type);
                return sp.GetRequiredKeyedService(type, original);
            }, ServiceLifetime.Transient);
        }
    }

    private static bool IsFaultable(Type type) =>
        typeof(IRealmService).IsAssignableFrom(type) || IsAgent(type);

    private static bool IsAgent(Type? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(AgentBase<,>))
            {
                return true;
            }
        }

        return false;
    }

    private static ServiceDescriptor Keyed(ServiceDescriptor descriptor, object key)
    {
        if (descriptor.ImplementationInstance is { } instance)
        {
            return new ServiceDescriptor(descriptor.ServiceType, key, instance);
        }

        if (descriptor.ImplementationFactory is { } factory)
        {
            return new ServiceDescriptor(descriptor.ServiceType, key, (sp, _) => factory(sp), descriptor.Lifetime);
        }

        return new ServiceDescriptor(descriptor.ServiceType, key, descriptor.ImplementationType!, descriptor.Lifetime);
    }

    private FaultInjector Arm(Type type, int times, Func<Exception> error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        _armed[type] = new Armed(times, error);
        return this;
    }

    private void ThrowIfArmed(Type type)
    {
        if (!_armed.TryGetValue(type, out var armed) || !armed.TryTake())
        {
            return;
        }

        _fired.AddOrUpdate(type, 1, (_, n) => n + 1);
        throw armed.Error();
    }

    private static SymphainyException Injected(Type type, ErrorKind kind) =>
        new(new ErrorCode(TestingErrorCodes.InjectedFault.Code, kind, true, TestingErrorCodes.InjectedFault.Description), $"Injected fault: {type.Name} failed on purpose.");

    private sealed class Armed(int times, Func<Exception> error)
    {
        private int _left = times;

        public Func<Exception> Error { get; } = error;

        public bool TryTake() => Interlocked.Decrement(ref _left) >= 0;
    }
}
