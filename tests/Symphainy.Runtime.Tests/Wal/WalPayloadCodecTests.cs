using System.Buffers.Binary;
using FsCheck.Xunit;
using Symphainy.Events;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Runtime.Tests.Wal;

/// <summary>
/// Every payload the codec writes reads back field for field, and bytes it did not write (cut short, another format
/// version, trailing bytes, unknown enum values, damaged) are refused as <c>wal.corrupt_record</c>, never with another exception.
/// </summary>
public sealed class WalPayloadCodecTests
{
    private const string Corrupt = "wal.corrupt_record";
    private static readonly TenantId Tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(3)).Next<TenantId>();
    private static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>();

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Intents_round_trip(IntentReceivedPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Saga_starts_round_trip(SagaStartedPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Completed_steps_timers_waits_and_agent_outputs_round_trip(StepCompletedPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Failed_steps_round_trip(StepFailedPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Signals_timer_firings_timeouts_and_cancellations_round_trip(SagaSignalledPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Compensation_starts_round_trip(SagaCompensatingPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Saga_ends_round_trip(SagaEndedPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Sessions_round_trip(SessionPayload payload) => RoundTrip(payload);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) }, MaxTest = 300)]
    public void Any_payload_round_trips_from_a_record_and_encodes_the_same_bytes_again(WalPayload payload)
    {
        var bytes = WalPayloadCodec.Encode(payload);
        var record = new WalRecord(42, DateTimeOffset.UnixEpoch, payload.Kind, Tenant, bytes);

        ShouldMatch(payload, WalPayloadCodec.Decode(record));
        WalPayloadCodec.Encode(payload).Should().Equal(bytes, "encoding does not depend on what the reused buffer held before");
    }

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) }, MaxTest = 200)]
    public void Every_truncation_is_a_corrupt_record(SmallPayload small)
    {
        var bytes = WalPayloadCodec.Encode(small.Payload);
        for (var length = 0; length < bytes.Length; length++)
        {
            ShouldBeCorrupt(small.Payload.Kind, bytes.AsMemory(0, length), $"the first {length} of {bytes.Length} bytes of {small.Payload.GetType().Name}");
        }
    }

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void A_wrong_format_version_is_a_corrupt_record(SmallPayload small, byte version)
    {
        var bytes = WalPayloadCodec.Encode(small.Payload);
        bytes[0] = version == WalPayloadCodec.FormatVersion ? (byte)(version + 1) : version;

        ShouldBeCorrupt(small.Payload.Kind, bytes, $"format version {bytes[0]}");
    }

    [Fact]
    public void Every_format_version_but_the_current_one_is_a_corrupt_record()
    {
        var bytes = WalPayloadCodec.Encode(new SagaStartedPayload("orders.place", 3));
        for (var version = 0; version < 256; version++)
        {
            bytes[0] = (byte)version;
            if (version == WalPayloadCodec.FormatVersion)
            {
                WalPayloadCodec.Decode(WalRecordKind.SagaStarted, bytes).Should().Be(new SagaStartedPayload("orders.place", 3));
            }
            else
            {
                ShouldBeCorrupt(WalRecordKind.SagaStarted, bytes, $"format version {version}");
            }
        }
    }

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Trailing_bytes_are_a_corrupt_record(SmallPayload small, byte first, byte[] more)
    {
        byte[] bytes = [.. WalPayloadCodec.Encode(small.Payload), first, .. more];

        ShouldBeCorrupt(small.Payload.Kind, bytes, $"{1 + more.Length} trailing bytes");
    }

    [Fact]
    public void An_empty_payload_and_a_kind_without_a_payload_format_are_corrupt_records()
    {
        foreach (var kind in Enum.GetValues<WalRecordKind>())
        {
            ShouldBeCorrupt(kind, ReadOnlyMemory<byte>.Empty, $"an empty {kind} payload");
        }

        ShouldBeCorrupt((WalRecordKind)200, new byte[] { WalPayloadCodec.FormatVersion }, "an unknown record kind");
    }

    public static TheoryData<string> EnumFields =>
    [
        "the step kind of a completed step",
        "the step kind of a failed step",
        "the error kind of a failed step",
        "the signal kind of a signal",
        "the error kind of a compensation's cause",
        "the state of an ended saga",
        "the error kind of an ended saga",
    ];

    [Theory]
    [MemberData(nameof(EnumFields))]
    public void An_unknown_enum_value_is_a_corrupt_record(string field)
    {
        static SagaError Error(ErrorKind kind) => new("step.failed", kind, "It failed.", "charge");
        var (one, other, valid) = field switch
        {
            "the step kind of a completed step" => ((WalPayload)new StepCompletedPayload(3, "charge", StepKind.Step), (WalPayload)new StepCompletedPayload(3, "charge", StepKind.Timer), Values<StepKind>()),
            "the step kind of a failed step" => (new StepFailedPayload(3, "charge", StepKind.Step, 1, false, Error(ErrorKind.Domain), TimeSpan.Zero), new StepFailedPayload(3, "charge", StepKind.Wait, 1, false, Error(ErrorKind.Domain), TimeSpan.Zero), Values<StepKind>()),
            "the error kind of a failed step" => (new StepFailedPayload(3, "charge", StepKind.Step, 1, false, Error(ErrorKind.Domain), TimeSpan.Zero), new StepFailedPayload(3, "charge", StepKind.Step, 1, false, Error(ErrorKind.Agent), TimeSpan.Zero), Values<ErrorKind>()),
            "the signal kind of a signal" => (new SagaSignalledPayload(SignalKind.Signal), new SagaSignalledPayload(SignalKind.Cancel), Values<SignalKind>()),
            "the error kind of a compensation's cause" => (new SagaCompensatingPayload(Error(ErrorKind.Platform)), new SagaCompensatingPayload(Error(ErrorKind.Domain)), Values<ErrorKind>()),
            "the state of an ended saga" => (new SagaEndedPayload(SagaState.Completed, "orders.place", 1), new SagaEndedPayload(SagaState.Failed, "orders.place", 1), [(byte)SagaState.Completed, (byte)SagaState.Failed, (byte)SagaState.Cancelled]),
            "the error kind of an ended saga" => (new SagaEndedPayload(SagaState.Failed, "orders.place", 1, Error: Error(ErrorKind.Domain)), new SagaEndedPayload(SagaState.Failed, "orders.place", 1, Error: Error(ErrorKind.Platform)), Values<ErrorKind>()),
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
        };
        var bytes = WalPayloadCodec.Encode(one);
        var at = Enumerable.Range(0, bytes.Length).Single(i => bytes[i] != WalPayloadCodec.Encode(other)[i]); // where the field lies

        for (var value = 0; value < 256; value++)
        {
            var patched = bytes.ToArray();
            patched[at] = (byte)value;
            if (valid.Contains((byte)value))
            {
                WalPayloadCodec.Decode(one.Kind, patched).Should().BeOfType(one.GetType(), "{0} is a known value of {1}", value, field);
            }
            else
            {
                ShouldBeCorrupt(one.Kind, patched, $"{value} as {field}");
            }
        }
    }

    [Fact]
    public void A_presence_flag_other_than_0_or_1_is_a_corrupt_record()
    {
        var session = WalPayloadCodec.Encode(new SessionPayload(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), null, TimeSpan.FromHours(1), NoEntries));
        var cause = WalPayloadCodec.Encode(new SagaCompensatingPayload(new SagaError("step.failed", ErrorKind.Domain, "It failed.", null)));
        cause[^1].Should().Be(0, "the absent step's flag is the cause's last byte");

        for (var flag = 2; flag < 256; flag++)
        {
            session[1] = (byte)flag;
            ShouldBeCorrupt(WalRecordKind.SessionStarted, session, $"session end flag {flag}");
            cause[^1] = (byte)flag;
            ShouldBeCorrupt(WalRecordKind.SagaCompensating, cause, $"optional field flag {flag}");
        }
    }

    [Fact]
    public void A_time_outside_the_calendar_is_a_corrupt_record()
    {
        var timer = WalPayloadCodec.Encode(new StepCompletedPayload(2, "cool-off", StepKind.Timer, Due: DateTimeOffset.UnixEpoch));
        var session = WalPayloadCodec.Encode(new SessionPayload(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero, NoEntries));
        BinaryPrimitives.ReadInt64LittleEndian(timer.AsSpan(^8)).Should().Be(DateTimeOffset.UnixEpoch.UtcTicks, "a timer's due time is its last field");

        foreach (var ticks in new[] { -1L, long.MinValue, DateTimeOffset.MaxValue.UtcTicks + 1, long.MaxValue })
        {
            var patched = timer.ToArray();
            BinaryPrimitives.WriteInt64LittleEndian(patched.AsSpan(^8), ticks);
            ShouldBeCorrupt(WalRecordKind.StepCompleted, patched, $"due ticks {ticks}");
            foreach (var (at, field) in new[] { (2, "created"), (10, "expires"), (18, "ended") }) // after the version and end flag
            {
                patched = session.ToArray();
                BinaryPrimitives.WriteInt64LittleEndian(patched.AsSpan(at), ticks);
                ShouldBeCorrupt(WalRecordKind.SessionEnded, patched, $"{field} ticks {ticks}");
            }
        }
    }

    [Theory]
    [InlineData(1_000_000)]
    [InlineData(int.MaxValue)]
    public void A_count_of_entries_larger_than_the_bytes_that_follow_is_a_corrupt_record(int count)
    {
        // Both payloads end with their count of entries (zero here, one byte); the count is replaced by a larger one.
        var session = WalPayloadCodec.Encode(new SessionPayload(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, TimeSpan.Zero, NoEntries));
        var intent = WalPayloadCodec.Encode(new IntentReceivedPayload("orders.place", "orders.place", 1, "{}"u8.ToArray(), Metadata: NoEntries));
        byte[] varint = [.. VarUInt((uint)count), .. "a"u8, .. "b"u8];

        ShouldBeCorrupt(WalRecordKind.SessionStarted, (byte[])[.. session[..^1], .. varint], $"{count} session attributes");
        ShouldBeCorrupt(WalRecordKind.IntentReceived, (byte[])[.. intent[..^1], .. varint], $"{count} metadata entries");
    }

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) }, MaxTest = 500)]
    public void Damaged_bytes_decode_or_are_refused_as_a_corrupt_record(SmallPayload small, int[] positions, byte[] values)
    {
        var bytes = WalPayloadCodec.Encode(small.Payload);
        foreach (var (position, value) in positions.Zip(values).Take(4))
        {
            bytes[1 + (int)((uint)position % (uint)(bytes.Length - 1))] = value; // the version byte stays, so the fields are read
        }

        DecodesOrIsCorrupt(small.Payload.Kind, bytes);
    }

    [Property(MaxTest = 500)]
    public void Arbitrary_bytes_of_the_current_version_decode_or_are_refused_as_a_corrupt_record(WalRecordKind kind, byte[] rest) =>
        DecodesOrIsCorrupt(kind, (byte[])[WalPayloadCodec.FormatVersion, .. rest]);

    [Property(Arbitrary = new[] { typeof(WalPayloadGenerators) })]
    public void Session_records_map_to_no_execution_event(SessionPayload session)
    {
        var record = new WalRecord(7, DateTimeOffset.UnixEpoch, session.Kind, Tenant, WalPayloadCodec.Encode(session), Session: new IdGenerator(TimeProvider.System, new SeededRandomSource(5)).Next<SessionId>());

        ExecutionEventMapping.FromRecord(record).Should().BeNull();
    }

    private static IEnumerable<byte> VarUInt(uint value)
    {
        for (; value >= 0x80; value >>= 7)
        {
            yield return (byte)(value | 0x80);
        }

        yield return (byte)value;
    }

    private static byte[] Values<TEnum>()
        where TEnum : struct, Enum => Enum.GetValues<TEnum>().Select(v => Convert.ToByte(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static void RoundTrip(WalPayload payload)
    {
        var bytes = WalPayloadCodec.Encode(payload);
        var decoded = WalPayloadCodec.Decode(payload.Kind, bytes);

        ShouldMatch(payload, decoded);
    }

    private static void DecodesOrIsCorrupt(WalRecordKind kind, ReadOnlyMemory<byte> payload)
    {
        try
        {
            WalPayloadCodec.Decode(kind, payload);
        }
        catch (SymphainyException e)
        {
            e.Code.Should().Be(Corrupt);
        }
    }

    private static void ShouldBeCorrupt(WalRecordKind kind, ReadOnlyMemory<byte> payload, string what)
    {
        WalPayload decoded;
        try
        {
            decoded = WalPayloadCodec.Decode(kind, payload);
        }
        catch (SymphainyException e)
        {
            e.Code.Should().Be(Corrupt, what);
            return;
        }

        Assert.Fail($"{what} decoded as {decoded.GetType().Name} instead of being refused as a corrupt record.");
    }

    private static void ShouldMatch(WalPayload expected, WalPayload actual)
    {
        actual.Should().BeOfType(expected.GetType());
        actual.Kind.Should().Be(expected.Kind);
        switch (expected, actual)
        {
            case (IntentReceivedPayload e, IntentReceivedPayload a):
                a.IntentType.Should().Be(e.IntentType);
                a.Definition.Should().Be(e.Definition);
                a.Version.Should().Be(e.Version);
                SameBytes(a.Input, e.Input, "input");
                a.IdempotencyKey.Should().Be(e.IdempotencyKey);
                (a.Metadata ?? NoEntries).Should().Equal(e.Metadata ?? NoEntries, "metadata (none and empty are the same)");
                break;
            case (SagaStartedPayload e, SagaStartedPayload a):
                a.Definition.Should().Be(e.Definition);
                a.Version.Should().Be(e.Version);
                break;
            case (StepCompletedPayload e, StepCompletedPayload a):
                a.Index.Should().Be(e.Index);
                a.Name.Should().Be(e.Name);
                a.StepKind.Should().Be(e.StepKind);
                SameBytes(a.Result, e.Result, "result");
                SameInstant(a.Due, e.Due, "due");
                break;
            case (StepFailedPayload e, StepFailedPayload a):
                a.Index.Should().Be(e.Index);
                a.Name.Should().Be(e.Name);
                a.StepKind.Should().Be(e.StepKind);
                a.Attempt.Should().Be(e.Attempt);
                a.Final.Should().Be(e.Final);
                a.Error.Should().Be(e.Error);
                a.Backoff.Should().Be(e.Backoff);
                break;
            case (SagaSignalledPayload e, SagaSignalledPayload a):
                a.SignalKind.Should().Be(e.SignalKind);
                a.Name.Should().Be(e.Name);
                a.Index.Should().Be(e.Index);
                SameBytes(a.Value, e.Value, "value");
                a.Reason.Should().Be(e.Reason);
                break;
            case (SagaCompensatingPayload e, SagaCompensatingPayload a):
                a.Cause.Should().Be(e.Cause);
                break;
            case (SagaEndedPayload e, SagaEndedPayload a):
                a.State.Should().Be(e.State);
                a.Definition.Should().Be(e.Definition);
                a.Version.Should().Be(e.Version);
                SameBytes(a.Output, e.Output, "output");
                a.Error.Should().Be(e.Error);
                break;
            case (SessionPayload e, SessionPayload a):
                SameInstant(a.CreatedAt, e.CreatedAt, "created");
                SameInstant(a.ExpiresAt, e.ExpiresAt, "expires");
                SameInstant(a.EndedAt, e.EndedAt, "ended");
                a.Ttl.Should().Be(e.Ttl);
                a.Attributes.Should().Equal(e.Attributes);
                break;
            default:
                Assert.Fail($"No comparison for {expected.GetType().Name}.");
                break;
        }
    }

    private static void SameBytes(ReadOnlyMemory<byte>? actual, ReadOnlyMemory<byte>? expected, string field)
    {
        actual.HasValue.Should().Be(expected.HasValue, "{0} is present exactly when it was", field);
        if (expected is { } bytes)
        {
            actual!.Value.Span.SequenceEqual(bytes.Span).Should().BeTrue("{0} reads back byte for byte ({1} bytes written, {2} read)", field, bytes.Length, actual.Value.Length);
        }
    }

    private static void SameInstant(DateTimeOffset? actual, DateTimeOffset? expected, string field)
    {
        actual.HasValue.Should().Be(expected.HasValue, "{0} is present exactly when it was", field);
        if (expected is { } instant)
        {
            actual!.Value.UtcTicks.Should().Be(instant.UtcTicks, "{0} keeps its instant", field);
            actual.Value.Offset.Should().Be(TimeSpan.Zero, "{0} reads back in UTC", field);
        }
    }
}
