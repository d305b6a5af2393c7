using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Symphainy.Events;
using Symphainy.Sagas;
using Symphainy.State;

namespace Symphainy.SmartCity;

/// <summary>What a subscription lets through: event kinds (its topics), one saga, and any predicate.</summary>
/// <param name="Kinds">The kinds delivered; null for all.</param>
/// <param name="Saga">One saga's events only; null for the tenant's.</param>
/// <param name="Where">A further filter; null for none.</param>
public sealed record EventFilter(IReadOnlySet<ExecutionEventKind>? Kinds = null, SagaId? Saga = null, Func<ExecutionEvent, bool>? Where = null)
{
    /// <summary>Whether the filter lets <paramref name="executionEvent"/> through.</summary>
    /// <param name="executionEvent">The event.</param>
    /// <returns>True to deliver it.</returns>
    public bool Matches(ExecutionEvent executionEvent)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        return (Kinds is null || Kinds.Contains(executionEvent.Kind)) && (Saga is null || Saga == executionEvent.Saga) && (Where is null || Where(executionEvent));
    }
}

/// <summary>What the Post Office does with a subscriber whose buffer is full.</summary>
public enum SlowSubscriberPolicy
{
    /// <summary>Reading the log waits for the subscriber (nothing is lost: the events stay in the log).</summary>
    Wait,

    /// <summary>The subscription ends with <c>postoffice.subscriber_too_slow</c>; resubscribing resumes after the last acknowledged event.</summary>
    Disconnect,
}

/// <summary>Post Office settings, under <c>Symphainy:SmartCity:PostOffice</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class PostOfficeOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:PostOffice";

    /// <summary>Events buffered per subscription between the log and the subscriber. Default 1,024.</summary>
    public int BufferSize { get; set; } = 1024;

    /// <summary>What happens when a subscriber's buffer is full. Default <see cref="SlowSubscriberPolicy.Wait"/>.</summary>
    public SlowSubscriberPolicy SlowSubscribers { get; set; } = SlowSubscriberPolicy.Wait;
}

/// <summary>
/// The Post Office: routes execution events to subscribers. A subscription is for one tenant (the principal's own:
/// the Security Guard refuses any other), filtered by kind, saga or predicate, and read from the durable log, so it
/// replays from any position. Each named subscriber has a cursor (kept in the hot state store, a Runtime port):
/// <see cref="AcknowledgeAsync"/> moves it, and a subscription without a start position resumes after it, so delivery
/// is at least once. Between the log and the subscriber sits a bounded buffer with a <see cref="SlowSubscriberPolicy"/>.
/// </summary>
public sealed class PostOffice
{
    private readonly ISagaEngine _engine;
    private readonly SecurityGuard _guard;
    private readonly IHotStateStore _cursors;
    private readonly PostOfficeOptions _options;

    /// <summary>Creates the Post Office.</summary>
    /// <param name="engine">The engine whose log the events are read from.</param>
    /// <param name="guard">Who may subscribe to what.</param>
    /// <param name="cursors">Where subscribers' cursors are kept.</param>
    /// <param name="options">Buffer and slow-subscriber policy.</param>
    public PostOffice(ISagaEngine engine, SecurityGuard guard, IHotStateStore cursors, IOptions<PostOfficeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _guard = guard;
        _cursors = cursors;
        _options = options.Value;
    }

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> to <paramref name="tenant"/>'s events that pass <paramref name="filter"/>,
    /// from <paramref name="fromPosition"/> (or just after its last acknowledged event), for the current principal.
    /// </summary>
    /// <param name="subscriber">The subscriber's name (its cursor's); letters, digits, '-', '_' and '.'.</param>
    /// <param name="tenant">The tenant, which must be the principal's.</param>
    /// <param name="filter">What is delivered; null for everything.</param>
    /// <param name="fromPosition">Where to start; null to resume after the cursor.</param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The events, in log order.</returns>
    /// <exception cref="SymphainyException"><c>security.*</c> for another tenant; <c>postoffice.subscriber_too_slow</c> under <see cref="SlowSubscriberPolicy.Disconnect"/>.</exception>
    public IAsyncEnumerable<ExecutionEvent> SubscribeAsync(string subscriber, TenantId tenant, EventFilter? filter = null, long? fromPosition = null, CancellationToken cancellationToken = default)
    {
        Validate(subscriber);
        _guard.Authorize(SymphainyPrincipal.Current, tenant, null); // refused here, before any event is read
        return DeliverAsync(subscriber, tenant, filter ?? new EventFilter(), fromPosition, cancellationToken);
    }

    /// <summary>Moves <paramref name="subscriber"/>'s cursor to <paramref name="position"/> (never back).</summary>
    /// <param name="subscriber">The subscriber.</param>
    /// <param name="tenant">The tenant, which must be the principal's.</param>
    /// <param name="position">The position of the last event it handled.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask AcknowledgeAsync(string subscriber, TenantId tenant, long position, CancellationToken cancellationToken = default)
    {
        Validate(subscriber);
        _guard.Authorize(SymphainyPrincipal.Current, tenant, null);
        while (true)
        {
            var current = await _cursors.GetAsync(tenant, Key(subscriber), cancellationToken).ConfigureAwait(false);
            var at = current is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(current.Value.Span);
            if (position <= at)
            {
                return;
            }

            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, position);
            if ((await _cursors.CompareAndSetAsync(tenant, Key(subscriber), value, current?.Version ?? 0, cancellationToken: cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return;
            }
        }
    }

    /// <summary>The position of <paramref name="subscriber"/>'s last acknowledged event (0 for none).</summary>
    /// <param name="subscriber">The subscriber.</param>
    /// <param name="tenant">The tenant, which must be the principal's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The position.</returns>
    public async ValueTask<long> CursorAsync(string subscriber, TenantId tenant, CancellationToken cancellationToken = default)
    {
        Validate(subscriber);
        _guard.Authorize(SymphainyPrincipal.Current, tenant, null);
        var current = await _cursors.GetAsync(tenant, Key(subscriber), cancellationToken).ConfigureAwait(false);
        return current is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(current.Value.Span);
    }

    private async IAsyncEnumerable<ExecutionEvent> DeliverAsync(string subscriber, TenantId tenant, EventFilter filter, long? fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var from = fromPosition ?? await CursorAsync(subscriber, tenant, cancellationToken).ConfigureAwait(false) + 1;
        var buffer = Channel.CreateBounded<ExecutionEvent>(new BoundedChannelOptions(Math.Max(1, _options.BufferSize)) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = PumpAsync(tenant, filter, from, buffer.Writer, stop.Token);
        try
        {
            await foreach (var executionEvent in buffer.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return executionEvent;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(TenantId tenant, EventFilter filter, long from, ChannelWriter<ExecutionEvent> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var executionEvent in _engine.WatchAsync(tenant, filter.Saga, from, cancellationToken).ConfigureAwait(false))
            {
                if (!filter.Matches(executionEvent))
                {
                    continue;
                }

                if (_options.SlowSubscribers == SlowSubscriberPolicy.Disconnect)
                {
                    if (!buffer.TryWrite(executionEvent))
                    {
                        buffer.TryComplete(new SymphainyException(SmartCityErrorCodes.SubscriberTooSlow,
                            $"The subscriber fell {_options.BufferSize} events behind at position {executionEvent.Position}; resubscribe to resume after its last acknowledged event."));
                        return;
                    }
                }
                else
                {
                    await buffer.WriteAsync(executionEvent, cancellationToken).ConfigureAwait(false);
                }
            }

            buffer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            buffer.TryComplete();
        }
        catch (Exception e)
        {
            buffer.TryComplete(e);
        }
    }

    private static string Key(string subscriber) => $"postoffice/cursor/{subscriber}";

    private static void Validate(string subscriber)
    {
        if (string.IsNullOrEmpty(subscriber) || subscriber.Length > 128 || !subscriber.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new SymphainyException(ErrorCodes.StateInvalidArgument, "A subscriber's name is 1 to 128 letters, digits, '-', '_' or '.'.");
        }
    }
}
