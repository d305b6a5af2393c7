using System.Buffers.Binary;
using System.Numerics;
using Symphainy.Sagas;

namespace Symphainy.Testing.Tests;

/// <summary>Committed sample logs, one per segment format: each still opens and replays against today's code.</summary>
public sealed class LogFormatTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-formats-");

    public void Dispose() => _directory.Delete(recursive: true);

    public static TheoryData<string, int> SampleLogs() => new()
    {
        { "welcome-format-1.wal", 1 }, // written by samples/QuickStart of commit 85d38cd (segment version 1, JSON payloads)
        { "welcome-format-2.wal", 2 }, // written by this kit's RecordAsync (segment version 2, binary payloads)
    };

    [Theory]
    [MemberData(nameof(SampleLogs))]
    public async Task A_committed_log_of_each_format_opens_and_replays_against_the_current_code(string file, int format)
    {
        var recording = await ExecutionRecording.LoadAsync(Path.Combine(AppContext.BaseDirectory, "Logs", file));

        recording.FormatVersion.Should().Be(format);
        recording.IntentType.Should().Be("demo.welcome");
        recording.History.Steps.Select(s => s.Name).Should().Equal("normalize", "greet", "measure");
        recording.History.Steps[1].ResultAs<string>().Should().Be("Welcome, Ada!");
        recording.History.End!.State.Should().Be(SagaState.Completed);

        var result = await SymphainyTestHost.ReplayAsync(recording, WelcomeSaga.Register);

        result.Should().BeDeterministic();
        result.End!.GetOutput<string>().Should().Be("Welcome, Ada! (13 characters)");
    }

    [Fact]
    public async Task A_replay_against_code_without_the_recorded_definition_says_so()
    {
        var recording = await ExecutionRecording.LoadAsync(Path.Combine(AppContext.BaseDirectory, "Logs", "welcome-format-1.wal"));

        var result = await SymphainyTestHost.ReplayAsync(recording, ChangedCheckouts.Use<ChangedCheckouts.Reordered>);

        result.Differences.Should().ContainSingle().Which.Description.Should().StartWith("the replay could not run the execution: saga.definition_missing");
    }

    [Fact]
    public async Task A_log_of_a_newer_format_fails_with_a_typed_error_naming_the_version()
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Logs", "welcome-format-2.wal"));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), Crc32C(bytes.AsSpan(0, 28)));
        var path = Path.Combine(_directory.FullName, "future.wal");
        await File.WriteAllBytesAsync(path, bytes);

        var load = () => ExecutionRecording.LoadAsync(path);

        var error = (await load.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("testing.unsupported_log_format");
        error.Message.Should().Be($"{path} is a log segment of format version 3, written by a newer Symphainy; this build reads versions 1 to 2.");
    }

    [Fact]
    public async Task A_file_that_is_not_a_log_or_a_damaged_record_fails_with_a_typed_error()
    {
        var notALog = Path.Combine(_directory.FullName, "notes.wal");
        await File.WriteAllTextAsync(notALog, "these are not the records you are looking for");
        var damaged = Path.Combine(_directory.FullName, "damaged.wal");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Logs", "welcome-format-1.wal"));
        bytes[200] ^= 0xFF;
        await File.WriteAllBytesAsync(damaged, bytes);

        var first = () => ExecutionRecording.LoadAsync(notALog);
        var second = () => ExecutionRecording.LoadAsync(damaged);

        (await first.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("testing.invalid_recording");
        (await second.Should().ThrowAsync<SymphainyException>()).Which.Message.Should().Contain("fails its checksum");
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
