using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Symphainy;

namespace Symphainy.Runtime.Tests.Ids;

public sealed class TypedIdTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Ids_created_later_sort_after_ids_created_earlier()
    {
        var generator = new IdGenerator(_time, new SeededRandomSource(1));
        var ids = new List<SagaId>();
        for (var i = 0; i < 50; i++)
        {
            ids.Add(generator.Next<SagaId>());
            _time.Advance(TimeSpan.FromMilliseconds(i % 3)); // some in the same millisecond, some not
        }

        ids.Should().BeInAscendingOrder();
        ids.Select(i => i.ToString()).Should().BeInAscendingOrder(StringComparer.Ordinal);
        ids.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Ids_stay_strictly_increasing_when_many_are_created_in_one_millisecond_and_the_clock_goes_back()
    {
        var clock = new SettableClock { Now = _time.GetUtcNow() };
        var generator = new IdGenerator(clock, new SeededRandomSource(2));
        var previous = generator.Next<ExecutionEventId>();
        for (var i = 0; i < 20_000; i++)
        {
            if (i == 10_000)
            {
                clock.Now = clock.Now.AddSeconds(-5); // a wall clock stepped back by NTP
            }

            var next = generator.Next<ExecutionEventId>();
            next.Should().BeGreaterThan(previous);
            previous = next;
        }
    }

    [Fact]
    public void Ids_created_on_many_threads_at_once_are_unique_and_increase_on_each_thread()
    {
        // A frozen clock puts every id in one millisecond, so the counter carries into the next ones: the hardest
        // case for the lock-free update of the shared counter.
        var generator = new IdGenerator(new FakeTimeProvider(_time.GetUtcNow()), SystemRandomSource.Instance);
        const int Threads = 4;
        const int PerThread = 25_000;
        var perThread = new Guid[Threads][];
        using var start = new Barrier(Threads);
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var ids = perThread[t] = new Guid[PerThread];
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                ids[i] = generator.NextGuid();
            }
        });

        foreach (var ids in perThread)
        {
            ids.Should().BeInAscendingOrder(Comparer<Guid>.Create((a, b) => a.CompareTo(b)));
            ids.Should().OnlyContain(id => id.Version == 7 && id.Variant >= 8 && id.Variant <= 0xB);
        }

        perThread.SelectMany(ids => ids).Distinct().Should().HaveCount(Threads * PerThread);
    }

    [Fact]
    public void Id_carries_the_clock_time_and_version_7()
    {
        var generator = new IdGenerator(_time, new SeededRandomSource(3));
        var id = generator.Next<SessionId>();
        id.Value.Version.Should().Be(7);
        var milliseconds = Convert.ToInt64(id.Value.ToString("N")[..12], 16);
        milliseconds.Should().Be(_time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    [Fact]
    public void Same_seed_and_clock_give_the_same_ids()
    {
        var a = new IdGenerator(new FakeTimeProvider(_time.GetUtcNow()), new SeededRandomSource(42));
        var b = new IdGenerator(new FakeTimeProvider(_time.GetUtcNow()), new SeededRandomSource(42));
        Enumerable.Range(0, 10).Select(_ => a.Next<IntentId>())
            .Should().Equal(Enumerable.Range(0, 10).Select(_ => b.Next<IntentId>()));
    }

    [Fact]
    public void String_form_round_trips_with_its_prefix()
    {
        var generator = new IdGenerator(_time, new SeededRandomSource(4));
        var session = generator.Next<SessionId>();
        var text = session.ToString();
        text.Should().MatchRegex("^ses_[0-9a-f]{32}$");
        SessionId.Parse(text).Should().Be(session);
        SessionId.TryParse(text, out var parsed).Should().BeTrue();
        parsed.Should().Be(session);
        generator.Next<TenantId>().ToString().Should().StartWith("ten_");
        generator.Next<SagaId>().ToString().Should().StartWith("sag_");
        generator.Next<IntentId>().ToString().Should().StartWith("int_");
        generator.Next<ExecutionEventId>().ToString().Should().StartWith("evt_");
    }

    [Fact]
    public void Json_round_trips_as_string_and_as_dictionary_key()
    {
        var generator = new IdGenerator(_time, new SeededRandomSource(5));
        var tenant = generator.Next<TenantId>();
        var value = new Dictionary<TenantId, SagaId> { [tenant] = generator.Next<SagaId>() };
        var json = JsonSerializer.Serialize(value);
        json.Should().Contain($"\"{tenant}\"");
        JsonSerializer.Deserialize<Dictionary<TenantId, SagaId>>(json).Should().Equal(value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ses_")]
    [InlineData("ses_0192f0c1e4a37c3a9f1e2b3c4d5e6f7")] // 31 digits
    [InlineData("ses_0192f0c1e4a37c3a9f1e2b3c4d5e6f7g")] // not hex
    [InlineData("sag_0192f0c1e4a37c3a9f1e2b3c4d5e6f70")] // a saga id, not a session id
    [InlineData("ses_0192f0c1e4a34c3a9f1e2b3c4d5e6f70")] // version 4
    [InlineData("ses_0192f0c1e4a37c3a1f1e2b3c4d5e6f70")] // wrong variant
    [InlineData(" ses_0192f0c1e4a37c3a9f1e2b3c4d5e6f70")]
    public void Bad_strings_are_rejected_with_a_typed_error_that_shows_the_expected_form(string text)
    {
        SessionId.TryParse(text, out _).Should().BeFalse();
        var act = () => SessionId.Parse(text);
        act.Should().Throw<SymphainyException>()
            .Where(e => e.Code == "id.invalid" && e.Kind == ErrorKind.Domain && !e.IsRetryable)
            .WithMessage("*not a valid SessionId*ses_*");
    }

    [Fact]
    public void Json_with_a_bad_id_fails_with_the_typed_error()
    {
        var act = () => JsonSerializer.Deserialize<SagaId>("\"nope\"");
        act.Should().Throw<SymphainyException>().Where(e => e.Code == "id.invalid");
        var notString = () => JsonSerializer.Deserialize<SagaId>("42");
        notString.Should().Throw<JsonException>().WithMessage("*JSON string*");
    }

    [Fact]
    public void A_guid_of_another_version_cannot_become_an_id()
    {
#pragma warning disable RS0030
        var act = () => TenantId.FromGuid(Guid.NewGuid());
#pragma warning restore RS0030
        act.Should().Throw<SymphainyException>().WithMessage("*version 7*");
    }

    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
