using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Testing;

/// <summary>
/// One execution's records, as the write-ahead log holds them: what a replay test runs the current code against. Saved
/// as a log segment file in the Runtime's own format (<c>docs/write-ahead-log.md</c>), so the file says which format
/// version wrote it; segments of every format this build knows can be loaded, older ones included.
/// </summary>
public sealed class ExecutionRecording
{
    /// <summary>The segment format version this build writes (the Runtime's file log).</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The oldest segment format version this build still loads (version 1 held JSON payloads).</summary>
    public const int OldestFormatVersion = 1;

    private const int HeaderSize = 32;

    private ExecutionRecording(IReadOnlyList<WalRecord> records, int formatVersion, string? source)
    {
        Records = records;
        FormatVersion = formatVersion;
        Source = source;
        var intent = records.FirstOrDefault(r => r.Kind == WalRecordKind.IntentReceived)
            ?? throw Invalid(source, "it holds no IntentReceived record, so no execution starts in it");
        var received = (IntentReceivedPayload)WalPayloadCodec.Decode(intent);
        Execution = intent.Saga ?? throw Invalid(source, $"the intent at position {intent.Position} names no saga");
        Tenant = intent.Tenant;
        IntentType = received.IntentType;
        Definition = received.Definition;
        Version = received.Version;
        History = new ExecutionHistory(records.Where(r => r.Saga == Execution).ToList());
    }

    /// <summary>The execution (saga) recorded.</summary>
    public SagaId Execution { get; }

    /// <summary>Its tenant.</summary>
    public TenantId Tenant { get; }

    /// <summary>The intent type that started it.</summary>
    public string IntentType { get; }

    /// <summary>The saga definition it ran.</summary>
    public string Definition { get; }

    /// <summary>The definition version it was pinned to.</summary>
    public int Version { get; }

    /// <summary>The segment format version of the file it was loaded from (<see cref="CurrentFormatVersion"/> when taken from a live log).</summary>
    public int FormatVersion { get; }

    /// <summary>The file it was loaded from, if any.</summary>
    public string? Source { get; }

    /// <summary>Every record, in log order: the execution's own, and those of the session its intent named.</summary>
    public IReadOnlyList<WalRecord> Records { get; }

    /// <summary>The execution's records, decoded.</summary>
    public ExecutionHistory History { get; }

    /// <summary>Takes an execution's records from a log.</summary>
    /// <param name="log">The log.</param>
    /// <param name="tenant">The execution's tenant.</param>
    /// <param name="execution">The execution.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The recording.</returns>
    /// <exception cref="SymphainyException"><c>testing.invalid_recording</c> when the log holds no such execution.</exception>
    public static async Task<ExecutionRecording> FromLogAsync(IWriteAheadLog log, TenantId tenant, SagaId execution, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        var records = new List<WalRecord>();
        SessionId? session = null;
        var sessionRecords = new List<WalRecord>();
        await foreach (var record in log.ReadAsync(log.FirstPosition, cancellationToken).ConfigureAwait(false))
        {
            if (record.Tenant != tenant)
            {
                continue;
            }

            if (record.Saga == execution)
            {
                session ??= record.Kind == WalRecordKind.IntentReceived ? record.Session : null;
                records.Add(record);
            }
            else if (record.Kind is WalRecordKind.SessionStarted or WalRecordKind.SessionEnded && record.Session is not null)
            {
                sessionRecords.Add(record);
            }
        }

        if (records.Count == 0)
        {
            throw Invalid(null, $"the log holds no record of execution {execution} in tenant {tenant}");
        }

        if (session is { } s)
        {
            records = [.. records.Concat(sessionRecords.Where(r => r.Session == s)).OrderBy(r => r.Position)];
        }

        return new ExecutionRecording(records, CurrentFormatVersion, null);
    }

    /// <summary>
    /// Loads a recording from a log segment file, in the current format or an older one this build still reads. With
    /// several executions in the file, <paramref name="execution"/> names the one to take.
    /// </summary>
    /// <param name="path">The segment file.</param>
    /// <param name="execution">Which execution, when the file holds several.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The recording.</returns>
    /// <exception cref="SymphainyException">
    /// <c>testing.unsupported_log_format</c> for a file of a newer format; <c>testing.invalid_recording</c> for a file that is
    /// not a segment, a damaged record, or no (or an ambiguous) execution.
    /// </exception>
    public static async Task<ExecutionRecording> LoadAsync(string path, SagaId? execution = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var version = ReadFormatVersion(bytes, path);
        var records = version switch
        {
            1 => LegacyJsonSegment.Read(bytes, path),
            CurrentFormatVersion => await ReadCurrentAsync(bytes, path, cancellationToken).ConfigureAwait(false),
            _ => throw new SymphainyException(TestingErrorCodes.UnsupportedLogFormat,
                $"{path} is a log segment of format version {version}, written by a newer Symphainy; this build reads versions {OldestFormatVersion} to {CurrentFormatVersion}."),
        };

        var sagas = records.Where(r => r.Kind == WalRecordKind.IntentReceived && r.Saga is not null).Select(r => r.Saga!.Value).Distinct().ToList();
        var chosen = execution ?? (sagas.Count == 1
            ? sagas[0]
            : throw Invalid(path, sagas.Count == 0 ? "it holds no execution (no IntentReceived record)" : $"it holds {sagas.Count} executions ({string.Join(", ", sagas)}); name the one to load"));
        if (!sagas.Contains(chosen))
        {
            throw Invalid(path, $"it holds no execution {chosen}");
        }

        var intent = records.First(r => r.Kind == WalRecordKind.IntentReceived && r.Saga == chosen);
        var own = records.Where(r => r.Saga == chosen
            || (intent.Session is { } session && r.Session == session && r.Kind is WalRecordKind.SessionStarted or WalRecordKind.SessionEnded)).ToList();
        return new ExecutionRecording(own, version, path);
    }

    /// <summary>
    /// Saves the recording as a log segment file in the current format: its records renumbered from position 1, their
    /// timestamps kept.
    /// </summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the file is written.</returns>
    public async Task SaveAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var scratch = Directory.CreateTempSubdirectory("symphainy-recording-");
        try
        {
            var clock = new FakeTimeProvider(Records[0].Timestamp);
            var options = new WalOptions { Durability = WalDurability.OsBuffered, SegmentSizeBytes = 1L << 30 };
            string segment;
            var log = new FileWriteAheadLog(scratch.FullName, options, clock);
            await using (log.ConfigureAwait(false))
            {
                foreach (var record in Records)
                {
                    if (record.Timestamp > clock.GetUtcNow())
                    {
                        clock.SetUtcNow(record.Timestamp);
                    }

                    var payload = record.Payload;
                    await log.AppendAsync(new WalEntry(record.Kind, record.Tenant, payload, record.Session, record.Saga, record.Intent), cancellationToken).ConfigureAwait(false);
                }

                segment = log.SegmentFiles.Single();
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            File.Copy(segment, path, overwrite: true);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    internal static SymphainyException Invalid(string? path, string problem) =>
        new(TestingErrorCodes.InvalidRecording, $"{path ?? "The recording"} cannot be read as a recorded execution: {problem}.");

    private static int ReadFormatVersion(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderSize || !bytes[..4].SequenceEqual("SYWL"u8))
        {
            throw Invalid(path, "it does not start with a log segment header ('SYWL')");
        }

        return BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
    }

    private static async Task<List<WalRecord>> ReadCurrentAsync(byte[] bytes, string path, CancellationToken cancellationToken)
    {
        var firstPosition = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        var scratch = Directory.CreateTempSubdirectory("symphainy-recording-");
        try
        {
            // The Runtime's own reader: checksums, positions and torn tails are checked exactly as on a host's start.
            await File.WriteAllBytesAsync(Path.Combine(scratch.FullName, firstPosition.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".wal"), bytes, cancellationToken).ConfigureAwait(false);
            var records = new List<WalRecord>();
            try
            {
                var log = new FileWriteAheadLog(scratch.FullName, new WalOptions { Durability = WalDurability.OsBuffered }, TimeProvider.System);
                await using var closing = log.ConfigureAwait(false);
                await foreach (var record in log.ReadAsync(log.FirstPosition, cancellationToken).ConfigureAwait(false))
                {
                    if (record.Payload.Length > 0 && record.Payload.Span[0] > WalPayloadCodec.FormatVersion)
                    {
                        throw new SymphainyException(TestingErrorCodes.UnsupportedLogFormat,
                            $"{path}: the record at position {record.Position} has payload format version {record.Payload.Span[0]}, written by a newer Symphainy; this build reads payload format {WalPayloadCodec.FormatVersion}.");
                    }

                    _ = WalPayloadCodec.Decode(record); // a payload that does not decode fails here, not in the middle of a replay
                    records.Add(record);
                }
            }
            catch (SymphainyException e) when (e.Code != TestingErrorCodes.UnsupportedLogFormat.Code)
            {
                throw new SymphainyException(TestingErrorCodes.InvalidRecording, $"{path} cannot be read as a recorded execution: {e.Message}", e);
            }

            return records;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
