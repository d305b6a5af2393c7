using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Symphainy.Sagas;
using Symphainy.Wal.Records;

namespace Symphainy.Runtime.Tests.Wal;

/// <summary>A payload small enough to try every truncation of.</summary>
public sealed record SmallPayload(WalPayload Payload);

/// <summary>
/// Generators of every <see cref="WalPayload"/> type: names with non-ASCII text (and long enough to need multi-byte
/// lengths), empty and large JSON values, optional fields present and absent, every enum value, edge numbers.
/// </summary>
public static class WalPayloadGenerators
{
    private static readonly string[] Pieces =
    [
        "a", "Z", "0", " ", "-", "_", ".", "\"", "\\", "\t", "\n", "\0", "é", "ß", "Ω", "ж", "ש", "中", "日本", "\u00a0", "\u200b", "🎵", "👩‍🚀", "\uFEFF",
    ];

    /// <summary>Any Unicode scalar value (no lone surrogates: they are not text and UTF-8 cannot carry them).</summary>
    private static readonly Gen<string> Scalar = Gen.OneOf(Gen.Choose(0, 0xD7FF), Gen.Choose(0xE000, 0x10FFFF)).Select(char.ConvertFromUtf32);

    /// <summary>Text, empty or short; from size 50 on, sometimes long enough to need a 2-byte length (or a 3-byte one).</summary>
    public static Gen<string> Text { get; } = Gen.Sized(size =>
    {
        var text = Gen.Frequency(
            (1, Gen.Constant("")),
            (6, Gen.ArrayOf(Gen.OneOf(Gen.Elements(Pieces), Scalar)).Select(string.Concat)));
        var longer = Gen.Choose(40, 6000).SelectMany(n => Gen.ArrayOf(Gen.Elements(Pieces), n)).Select(string.Concat);
        return size < 50 ? text : Gen.Frequency((6, text), (1, longer));
    });

    public static Gen<string?> OptionalText { get; } = Gen.Frequency((1, Gen.Constant<string?>(null)), (2, Text.Select(t => (string?)t)));

    /// <summary>Non-negative counts, versions and indexes, often at the edges of a varint's byte lengths.</summary>
    public static Gen<int> Count { get; } = Gen.Frequency(
        (1, Gen.Elements(0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, int.MaxValue)),
        (2, Gen.Choose(0, 300)),
        (1, Gen.Choose(0, int.MaxValue - 1)));

    /// <summary>Any 64-bit number.</summary>
    public static Gen<long> AnyLong { get; } = Gen.Frequency(
        (1, Gen.Elements(0L, 1L, -1L, long.MinValue, long.MaxValue)),
        (4, Gen.ArrayOf(Gen.Choose(0, 0xFFFF), 4).Select(p => unchecked((long)(((ulong)(uint)p[0] << 48) | ((ulong)(uint)p[1] << 32) | ((ulong)(uint)p[2] << 16) | (uint)p[3])))));

    public static Gen<TimeSpan> Duration { get; } = AnyLong.Select(TimeSpan.FromTicks);

    /// <summary>Any instant, at any offset (the codec keeps the instant; it reads back at offset zero).</summary>
    public static Gen<DateTimeOffset> Instant { get; } = Gen.Frequency(
        (1, Gen.Elements(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch)),
        (4, from fraction in Gen.Choose(0, int.MaxValue)
            from ticks in Gen.Choose(0, 9_999_999)
            from offset in Gen.Choose(-14 * 60, 14 * 60)
            let span = DateTimeOffset.MaxValue.UtcTicks - (2 * TimeSpan.TicksPerDay)
            let utc = TimeSpan.TicksPerDay + (long)(span * (fraction / (double)int.MaxValue)) + ticks
            select new DateTimeOffset(utc, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offset))));

    public static Gen<DateTimeOffset?> OptionalInstant { get; } = Gen.Frequency((1, Gen.Constant<DateTimeOffset?>(null)), (2, Instant.Select(i => (DateTimeOffset?)i)));

    /// <summary>UTF-8 JSON: empty or small; from size 50 on, sometimes larger than the codec's reused buffer keeps (64 KiB).</summary>
    public static Gen<ReadOnlyMemory<byte>> Json { get; } = Gen.Sized(size =>
    {
        var small = Gen.Frequency(
            (1, Gen.Constant(ReadOnlyMemory<byte>.Empty)),
            (5, Text.Select(t => (ReadOnlyMemory<byte>)System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { value = t, items = new[] { 1, 2, 3 } }))));
        var large = from length in Gen.Choose(60_000, 200_000)
                    from fill in Gen.Elements('x', 'é', '中')
                    select (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{{\"data\":\"{new string(fill, length / Encoding.UTF8.GetByteCount([fill]))}\"}}");
        return size < 50 ? small : Gen.Frequency((10, small), (1, large));
    });

    public static Gen<ReadOnlyMemory<byte>?> OptionalJson { get; } =
        Gen.Frequency((1, Gen.Constant<ReadOnlyMemory<byte>?>(null)), (2, Json.Select(j => (ReadOnlyMemory<byte>?)j)));

    public static Gen<SagaError> Error { get; } =
        from code in Text
        from kind in Gen.Elements(Enum.GetValues<ErrorKind>())
        from message in Text
        from step in OptionalText
        select new SagaError(code, kind, message, step);

    public static Gen<IReadOnlyDictionary<string, string>> Attributes { get; } =
        Gen.ArrayOf(Gen.Zip(Text, Text)).Select(pairs => (IReadOnlyDictionary<string, string>)pairs
            .DistinctBy(p => p.Item1, StringComparer.Ordinal)
            .ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal));

    public static Arbitrary<IntentReceivedPayload> Intents() => Intent.ToArbitrary();

    public static Arbitrary<SagaStartedPayload> Starts() => Started.ToArbitrary();

    public static Arbitrary<StepCompletedPayload> CompletedSteps() => StepCompleted.ToArbitrary();

    public static Arbitrary<StepFailedPayload> FailedSteps() => StepFailed.ToArbitrary();

    public static Arbitrary<SagaSignalledPayload> Signals() => Signalled.ToArbitrary();

    public static Arbitrary<SagaCompensatingPayload> Compensations() => Compensating.ToArbitrary();

    public static Arbitrary<SagaEndedPayload> Ends() => Ended.ToArbitrary();

    public static Arbitrary<SessionPayload> Sessions() => Session.ToArbitrary();

    public static Arbitrary<WalPayload> Payloads() => AnyOf.ToArbitrary();

    /// <summary>Payloads of at most 4 KiB: generated at a small size, so without large JSON or long names.</summary>
    public static Arbitrary<SmallPayload> SmallPayloads() => AnyOf.Resize(15)
        .Where(p => WalPayloadCodec.Encode(p).Length <= 4096)
        .Select(p => new SmallPayload(p))
        .ToArbitrary();

    private static Gen<SagaStartedPayload> Started =>
        from definition in Text
        from version in Count
        select new SagaStartedPayload(definition, version);

    private static Gen<StepFailedPayload> StepFailed =>
        from index in Count
        from name in Text
        from kind in Gen.Elements(Enum.GetValues<StepKind>())
        from attempt in Count
        from final in Gen.Elements(true, false)
        from error in Error
        from backoff in Duration
        select new StepFailedPayload(index, name, kind, attempt, final, error, backoff);

    private static Gen<SagaCompensatingPayload> Compensating => Error.Select(e => new SagaCompensatingPayload(e));

    private static Gen<SessionPayload> Session =>
        from created in Instant
        from expires in Instant
        from ended in OptionalInstant
        from ttl in Duration
        from attributes in Attributes
        select new SessionPayload(created, expires, ended, ttl, attributes);

    private static Gen<WalPayload> AnyOf => Gen.OneOf(
        Intent.Select(p => (WalPayload)p),
        Started.Select(p => (WalPayload)p),
        StepCompleted.Select(p => (WalPayload)p),
        StepFailed.Select(p => (WalPayload)p),
        Signalled.Select(p => (WalPayload)p),
        Compensating.Select(p => (WalPayload)p),
        Ended.Select(p => (WalPayload)p),
        Session.Select(p => (WalPayload)p));

    private static Gen<IntentReceivedPayload> Intent =>
        from type in Text
        from definition in Text
        from version in Count
        from input in Json
        from key in OptionalText
        from metadata in Gen.Frequency((1, Gen.Constant<IReadOnlyDictionary<string, string>?>(null)), (2, Attributes.Select(a => (IReadOnlyDictionary<string, string>?)a)))
        select new IntentReceivedPayload(type, definition, version, input, key, metadata);

    private static Gen<StepCompletedPayload> StepCompleted =>
        from index in Count
        from name in Text
        from kind in Gen.Elements(Enum.GetValues<StepKind>())
        from result in OptionalJson
        from due in OptionalInstant
        select new StepCompletedPayload(index, name, kind, result, due);

    private static Gen<SagaSignalledPayload> Signalled =>
        from kind in Gen.Elements(Enum.GetValues<SignalKind>())
        from name in OptionalText
        from index in Gen.Frequency((1, Gen.Constant<int?>(null)), (2, Count.Select(i => (int?)i)))
        from value in OptionalJson
        from reason in OptionalText
        select new SagaSignalledPayload(kind, name, index, value, reason);

    private static Gen<SagaEndedPayload> Ended =>
        from state in Gen.Elements(SagaState.Completed, SagaState.Failed, SagaState.Cancelled)
        from definition in Text
        from version in Count
        from output in OptionalJson
        from error in Gen.Frequency((1, Gen.Constant<SagaError?>(null)), (2, Error.Select(e => (SagaError?)e)))
        select new SagaEndedPayload(state, definition, version, output, error);
}
