using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Wal;
using Symphainy.Wal.Internal;

namespace Symphainy.Runtime.Tests.Wal;

public sealed class FileWriteAheadLogTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("symphainy-wal-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant;

    public FileWriteAheadLogTests() => _tenant = new IdGenerator(_time, new SeededRandomSource(3)).Next<TenantId>();

    private string WalDirectory => Path.Combine(_root.FullName, "wal");

    public void Dispose() => _root.Delete(recursive: true);

    private FileWriteAheadLog Open(long segmentSize = 64 * 1024, string? archive = null) =>
        new(WalDirectory, new WalOptions { SegmentSizeBytes = segmentSize, ArchiveDirectory = archive }, _time);

    /// <summary>Opens the log with a logger; returns what recovery said when it discarded a tail.</summary>
    private async Task<string> ReopenAndReportDiscardedTailAsync(WalDurability durability = WalDurability.Fsync)
    {
        var logs = new CapturingLoggerProvider();
        using var logging = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var log = new FileWriteAheadLog(WalDirectory, new WalOptions { SegmentSizeBytes = 64 * 1024, Durability = durability }, _time, logging.CreateLogger<FileWriteAheadLog>());
        return logs.Lines.Should().ContainSingle(l => l.Contains("discarded", StringComparison.Ordinal)).Subject;
    }

    /// <summary>
    /// Appends a batch whose write stopped before its end, as a crash leaves it: records <paramref name="whole"/>
    /// complete, then the first <paramref name="partialBytes"/> bytes of the batch's last record (the one marked as its end).
    /// </summary>
    private void AppendUnfinishedBatch(long[] whole, int partialBytes = 0)
    {
        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        using var file = new FileStream(segment, FileMode.Append);
        foreach (var position in whole)
        {
            file.Write(Encoded(position, endOfBatch: false));
        }

        file.Write(Encoded(whole[^1] + 1, endOfBatch: true).AsSpan(0, partialBytes));
    }

    private byte[] Encoded(long position, bool endOfBatch)
    {
        var entry = Entry($"unacknowledged {position}");
        var buffer = new byte[WalFormat.EncodedSize(entry)];
        WalFormat.Encode(buffer, entry, position, _time.GetUtcNow().UtcTicks, endOfBatch);
        return buffer;
    }

    private WalEntry Entry(string text) => new(WalRecordKind.StepCompleted, _tenant, Encoding.UTF8.GetBytes(text));

    private static async Task<List<string>> ReadTextsAsync(IWriteAheadLog log, long from = 1)
    {
        var texts = new List<string>();
        await foreach (var record in log.ReadAsync(from))
        {
            texts.Add(Encoding.UTF8.GetString(record.Payload.Span));
        }

        return texts;
    }

    private async Task AppendManyAsync(FileWriteAheadLog log, int count, int from = 1)
    {
        for (var i = from; i < from + count; i++)
        {
            await log.AppendAsync(Entry($"record {i} " + new string('x', 200)));
        }
    }

    private static IEnumerable<string> Expected(int count, int from = 1) =>
        Enumerable.Range(from, count).Select(i => $"record {i} " + new string('x', 200));

    [Fact]
    public async Task Records_survive_closing_and_reopening_and_positions_continue()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 10);
        }

        await using (var reopened = Open())
        {
            reopened.NextPosition.Should().Be(11);
            (await reopened.AppendAsync(Entry("record 11 " + new string('x', 200)))).Should().Be(11);
            (await ReadTextsAsync(reopened)).Should().Equal(Expected(11));
        }
    }

    [Fact]
    public async Task Segments_roll_at_the_configured_size_and_reads_cross_them_after_reopening()
    {
        await using (var log = Open(segmentSize: 64 * 1024))
        {
            await AppendManyAsync(log, 1000); // about 300 KB
            log.SegmentFiles.Should().HaveCountGreaterThan(3);
            log.SegmentFiles.Select(f => new FileInfo(f).Length).Should().OnlyContain(length => length <= 64 * 1024);
        }

        await using var reopened = Open(segmentSize: 64 * 1024);
        (await ReadTextsAsync(reopened)).Should().Equal(Expected(1000));
        (await ReadTextsAsync(reopened, 777)).Should().Equal(Expected(224, from: 777));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(2_500)]
    [InlineData(4_999)]
    [InlineData(5_000)]
    public async Task Reads_from_any_position_of_a_large_segment_start_at_that_record_before_and_after_reopening(int from)
    {
        await using (var log = Open(segmentSize: 16 * 1024 * 1024))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 625; i++)
                {
                    await log.AppendAsync(Entry($"w{w} i{i}"));
                }
            })));
            var live = await ReadTextsAsync(log);
            live.Should().HaveCount(5_000);
            (await ReadTextsAsync(log, from)).Should().Equal(live.Skip(from - 1));
        }

        await using var reopened = Open(segmentSize: 16 * 1024 * 1024);
        var all = await ReadTextsAsync(reopened);
        (await ReadTextsAsync(reopened, from)).Should().Equal(all.Skip(from - 1));
        var positions = new List<long>();
        await foreach (var record in reopened.ReadAsync(from))
        {
            positions.Add(record.Position);
        }

        positions.Should().Equal(Enumerable.Range(from, 5_000 - from + 1).Select(p => (long)p));
    }

    [Fact]
    public async Task Concurrent_appends_are_group_committed_in_fewer_writes_than_records()
    {
        await using (var log = Open(segmentSize: 16 * 1024 * 1024))
        {
            await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 20; i++)
                {
                    await log.AppendAsync(Entry($"w{w} i{i}"));
                }
            })));
        }

        var bytes = File.ReadAllBytes(Directory.GetFiles(WalDirectory, "*.wal").Single());
        var (records, batches) = CountRecordsAndBatches(bytes);
        records.Should().Be(64 * 20);
        batches.Should().BeLessThan(records, "concurrent appends share one write and one fsync");
    }

    [Fact]
    public async Task A_torn_tail_is_cut_off_on_open_and_the_log_goes_on_from_the_last_whole_record()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 20);
        }

        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 37); // the last record, half written
        }

        await using var reopened = Open();
        reopened.NextPosition.Should().Be(20);
        (await ReadTextsAsync(reopened)).Should().Equal(Expected(19));
        (await reopened.AppendAsync(Entry("after the crash"))).Should().Be(20);
        (await ReadTextsAsync(reopened, 20)).Should().Equal("after the crash");
    }

    [Fact]
    public async Task Damaged_last_bytes_are_treated_as_a_torn_tail()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 20);
        }

        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^3] ^= 0xFF;
        bytes[^2] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        await using var reopened = Open();
        (await ReadTextsAsync(reopened)).Should().Equal(Expected(19));
    }

    [Fact]
    public async Task Records_of_a_batch_whose_end_was_never_written_are_discarded_whole()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 5);
        }

        // Two more records of one batch, written without the batch's end mark: a crash before the write finished.
        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        using (var file = new FileStream(segment, FileMode.Append))
        {
            foreach (var position in new[] { 6L, 7L })
            {
                var entry = Entry($"unacknowledged {position}");
                var buffer = new byte[WalFormat.EncodedSize(entry)];
                WalFormat.Encode(buffer, entry, position, _time.GetUtcNow().UtcTicks, endOfBatch: false);
                file.Write(buffer);
            }
        }

        await using var reopened = Open();
        reopened.NextPosition.Should().Be(6);
        (await ReadTextsAsync(reopened)).Should().Equal(Expected(5));
    }

    [Fact]
    public async Task Recovery_reports_whole_records_without_their_batch_end_as_an_incomplete_batch_never_acknowledged()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 5);
        }

        AppendUnfinishedBatch([6, 7]);

        var report = await ReopenAndReportDiscardedTailAsync();
        report.Should().StartWith($"Write-ahead log recovery in {WalDirectory}: discarded ")
            .And.Contain("after position 5 in 00000000000000000001.wal: an incomplete batch (records 6 to 7 whole but without their batch's end)")
            .And.Contain("If a crash interrupted that write, none of these records was acknowledged: an append is acknowledged only once its whole batch is synced to disk")
            .And.NotContain("may have been");
    }

    [Fact]
    public async Task Recovery_reports_a_last_record_the_file_ends_inside_of_as_an_incomplete_batch_never_acknowledged()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 5);
        }

        AppendUnfinishedBatch([6], partialBytes: 40);

        var report = await ReopenAndReportDiscardedTailAsync();
        report.Should().Contain($"after position 5 in 00000000000000000001.wal: an incomplete batch (record 6 whole but without its batch's end, then 40 bytes of a record the file ends inside of)")
            .And.Contain("none of these records was acknowledged")
            .And.NotContain("may have been");
    }

    [Fact]
    public async Task Recovery_reports_zeros_after_the_last_batch_as_an_incomplete_batch_never_acknowledged()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 5);
        }

        // The file grew, but the data of the write never reached the disk.
        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write(new byte[300]);
        }

        var report = await ReopenAndReportDiscardedTailAsync();
        report.Should().Contain("discarded 300 bytes after position 5 in 00000000000000000001.wal: an incomplete batch (300 bytes of zeros, never written)")
            .And.Contain("none of these records was acknowledged");
    }

    [Fact]
    public async Task With_os_buffered_durability_recovery_says_an_incomplete_batch_may_have_been_acknowledged_before_a_power_loss()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 5);
        }

        AppendUnfinishedBatch([6], partialBytes: 40);

        var report = await ReopenAndReportDiscardedTailAsync(WalDurability.OsBuffered);
        report.Should().Contain("an incomplete batch (record 6 whole")
            .And.Contain("If only the process crashed, none of these records was acknowledged; after a power loss some may have been, since with OsBuffered durability an append is acknowledged once its batch is handed to the operating system");
    }

    [Fact]
    public async Task Recovery_reports_a_damaged_last_record_as_damage_that_may_have_lost_acknowledged_records()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 20); // each append acknowledged, in a batch of its own
        }

        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        var bytes = File.ReadAllBytes(segment);
        var last = bytes.Length - WalFormat.EncodedSize(Entry($"record 20 " + new string('x', 200)));
        bytes[^3] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        var report = await ReopenAndReportDiscardedTailAsync();
        report.Should().Contain($"discarded {bytes.Length - last} bytes after position 19 in 00000000000000000001.wal: the record at byte {last} (position 20) is damaged and no complete batch follows it")
            .And.Contain("records after position 19 may have been acknowledged, and if so they are lost")
            .And.NotContain("never acknowledged").And.NotContain("none of these records was acknowledged");
    }

    [Fact]
    public async Task A_damaged_record_before_the_tail_fails_to_open_with_a_typed_error()
    {
        await using (var log = Open())
        {
            await AppendManyAsync(log, 20);
        }

        var segment = Directory.GetFiles(WalDirectory, "*.wal").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[bytes.Length / 2] ^= 0x5A; // inside record ~10, with acknowledged records after it
        File.WriteAllBytes(segment, bytes);

        var open = () => Open();
        var error = open.Should().Throw<SymphainyException>().Which;
        error.Code.Should().Be("wal.corrupt_record");
        error.Kind.Should().Be(ErrorKind.Platform);
        error.Message.Should().Contain(Path.GetFileName(segment)).And.Contain("committed records follow");
        File.ReadAllBytes(segment).Should().Equal(bytes, "a damaged log is never truncated or repaired silently");
    }

    [Fact]
    public async Task A_damaged_record_in_a_sealed_segment_fails_the_read_with_a_typed_error()
    {
        await using (var log = Open(segmentSize: 64 * 1024))
        {
            await AppendManyAsync(log, 1000);
        }

        var sealedSegment = Directory.GetFiles(WalDirectory, "*.wal").Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(sealedSegment);
        bytes[10_000] ^= 0x01;
        File.WriteAllBytes(sealedSegment, bytes);

        await using var reopened = Open(segmentSize: 64 * 1024);
        var read = async () => await ReadTextsAsync(reopened);
        (await read.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("wal.corrupt_record");
    }

    [Fact]
    public async Task A_checkpoint_deletes_sealed_segments_below_it_and_the_first_position_survives_reopening()
    {
        long first;
        await using (var log = Open(segmentSize: 64 * 1024))
        {
            await AppendManyAsync(log, 1000);
            var before = log.SegmentFiles.Count;
            first = await log.CheckpointAsync(600);
            log.SegmentFiles.Should().HaveCountLessThan(before);
            first.Should().BeInRange(2, 600);
        }

        await using var reopened = Open(segmentSize: 64 * 1024);
        reopened.FirstPosition.Should().Be(first);
        (await ReadTextsAsync(reopened, first)).Should().Equal(Expected(1000 - (int)first + 1, from: (int)first));
        (await reopened.AppendAsync(Entry("next"))).Should().Be(1001);
    }

    [Fact]
    public async Task A_checkpoint_moves_segments_to_the_archive_when_one_is_configured()
    {
        var archive = Path.Combine(_root.FullName, "archive");
        await using var log = Open(segmentSize: 64 * 1024, archive: archive);
        await AppendManyAsync(log, 1000);
        var sealedSegments = log.SegmentFiles.Take(2).Select(Path.GetFileName).ToArray();

        await log.CheckpointAsync(1000);

        Directory.GetFiles(archive).Select(Path.GetFileName).Should().Contain(sealedSegments);
        log.SegmentFiles.Should().HaveCount(1, "the active segment always stays");
    }

    [Fact]
    public async Task Appending_after_dispose_fails_with_wal_closed()
    {
        var log = Open();
        await log.AppendAsync(Entry("one"));
        await log.DisposeAsync();
        var act = async () => await log.AppendAsync(Entry("two"));
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("wal.closed");
    }

    [Fact]
    public async Task A_file_that_is_not_a_segment_is_reported_not_overwritten()
    {
        Directory.CreateDirectory(WalDirectory);
        var stranger = Path.Combine(WalDirectory, WalFormat.SegmentFileName(1));
        await File.WriteAllTextAsync(stranger, "this is not a log segment, but someone's notes");
        var open = () => Open();
        open.Should().Throw<SymphainyException>().Where(e => e.Code == "wal.corrupt_record").WithMessage("*magic*");
        (await File.ReadAllTextAsync(stranger)).Should().StartWith("this is not");
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Crc32C.Compute("123456789"u8).Should().Be(0xE3069283u);
        Crc32C.Compute([]).Should().Be(0u);
    }

    private static (int Records, int Batches) CountRecordsAndBatches(byte[] bytes)
    {
        var records = 0;
        var batches = 0;
        var offset = WalFormat.HeaderSize;
        while (offset < bytes.Length)
        {
            var length = WalFormat.ReadBodyLength(bytes.AsSpan(offset));
            WalFormat.ChecksumMatches(bytes.AsSpan(offset)).Should().BeTrue();
            WalFormat.Decode(bytes.AsSpan(offset + WalFormat.RecordPrefixSize, length), out var endOfBatch).Should().NotBeNull();
            records++;
            batches += endOfBatch ? 1 : 0;
            offset += WalFormat.RecordPrefixSize + length;
        }

        return (records, batches);
    }
}
