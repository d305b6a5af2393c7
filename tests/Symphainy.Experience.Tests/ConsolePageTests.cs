using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Symphainy.Experience.Tests;

/// <summary>The operator console (MapSymphainyConsole) in a real, headless chromium against a host on real Kestrel.</summary>
public sealed class ConsolePageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const float Patience = 30_000;

    [Fact]
    public async Task The_files_are_served_from_the_assembly_with_their_content_types_and_a_strict_content_security_policy()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client(apiKey: null);

        foreach (var (path, mediaType) in new[]
                 {
                     ("/console", "text/html"), ("/console/", "text/html"), ("/console/index.html", "text/html"),
                     ("/console/app.js", "text/javascript"), ("/console/app.css", "text/css"),
                 })
        {
            using var response = await client.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK, path);
            response.Content.Headers.ContentType!.MediaType.Should().Be(mediaType, path);
            response.Content.Headers.ContentType.CharSet.Should().Be("utf-8", path);
            var policy = response.Headers.GetValues("Content-Security-Policy").Should().ContainSingle().Subject;
            policy.Should().Contain("default-src 'none'").And.Contain("script-src 'self'").And.Contain("connect-src 'self'")
                .And.Contain("frame-ancestors 'none'").And.NotContain("unsafe-inline").And.NotContain("unsafe-eval");
            response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
            (await response.Content.ReadAsByteArrayAsync()).Should().NotBeEmpty(path);
        }

        var html = await client.GetStringAsync("/console");
        html.Should().Contain("<script src=\"/console/app.js\"").And.NotContainAny("<script>", "onclick=", "onload=", "http://", "https://");
        (await client.GetAsync("/console/missing.js")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync("/console/..%2Fv1%2Fcapabilities")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_intent_submitted_through_the_form_streams_in_over_the_websocket_completes_and_shows_its_steps()
    {
        await using var host = await ExperienceHost.StartAsync();
        await using var session = await chromium.OpenAsync(host);
        var page = session.Page;

        await page.GotoAsync("/console");
        await page.Locator("#key-input").FillAsync(ExperienceHost.AliceKey);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^live"), new() { Timeout = Patience });
        (await page.EvaluateAsync<string>("() => sessionStorage.getItem('symphainy.console.apiKey')")).Should().Be(ExperienceHost.AliceKey);

        await page.Locator("#intent-type").SelectOptionAsync("demo.echo");
        await page.Locator("#intent-payload").FillAsync("{\"id\": 7}");
        await page.Locator("#intent-idempotency").FillAsync("console-echo-7");
        await page.Locator("#intent-submit").ClickAsync();
        var accepted = page.Locator("#intent-result .execution-id");
        await Expect(accepted).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sag_"), new() { Timeout = Patience });
        var execution = await accepted.TextContentAsync();

        var row = page.Locator($"#executions tr[data-execution='{execution}']");
        await Expect(row.Locator(".state")).ToHaveTextAsync("Completed", new() { Timeout = Patience });
        await Expect(row.Locator(".capability")).ToHaveTextAsync("demo.echo", new() { Timeout = Patience });

        await row.ClickAsync();
        await Expect(page.Locator("#detail-id")).ToHaveTextAsync(execution!);
        await Expect(page.Locator("#detail-state [data-field=state]")).ToHaveTextAsync("Completed", new() { Timeout = Patience });
        await Expect(page.Locator("#detail-state [data-field=output]")).ToHaveTextAsync("7", new() { Timeout = Patience });
        await Expect(page.Locator("#detail-events tbody td.step").Filter(new() { HasText = "echo" }).First).ToBeVisibleAsync(new() { Timeout = Patience });
        await Expect(page.Locator("#detail-events tbody tr").Last.Locator("td").Nth(2)).ToHaveTextAsync("Completed", new() { Timeout = Patience });

        // The same idempotency key again: the same execution, said to be a duplicate.
        await page.Locator("#intent-submit").ClickAsync();
        await Expect(page.Locator("#intent-result .accepted strong")).ToContainTextAsync("duplicate", new() { Timeout = Patience });
        await Expect(accepted).ToHaveTextAsync(execution!);

        session.Errors.Should().BeEmpty("the page runs under its Content-Security-Policy without a violation or a script error");
    }

    [Fact]
    public async Task After_a_dropped_stream_the_page_reconnects_from_the_last_position_plus_one_and_misses_nothing()
    {
        await using var host = await ExperienceHost.StartAsync();
        await using var session = await chromium.OpenAsync(host);
        var page = session.Page;
        var sockets = new System.Collections.Concurrent.ConcurrentQueue<IWebSocketRoute>();
        await page.RouteWebSocketAsync("**/v1/events*", route =>
        {
            sockets.Enqueue(route);
            route.ConnectToServer();
        });

        await page.GotoAsync($"/console#key={ExperienceHost.AliceKey}");
        var first = await SubmitAndWaitAsync(page, "{\"id\": 1}");
        var status = page.Locator("#status");
        await Expect(status).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^live \(position [1-9]"), new() { Timeout = Patience });
        var last = long.Parse(System.Text.RegularExpressions.Regex.Match((await status.TextContentAsync())!, @"position (\d+)").Groups[1].Value);

        sockets.Should().ContainSingle().Which.Url.Should().NotContain("from=", "the first connection starts at the beginning");
        sockets.TryPeek(out var dropped).Should().BeTrue();
        await dropped!.CloseAsync(new() { Code = 1012, Reason = "dropped by the test" });

        var second = await SubmitAndWaitAsync(page, "{\"id\": 2}");
        sockets.Should().HaveCount(2);
        sockets.Last().Url.Should().Contain($"from={last + 1}");
        await Expect(page.Locator("#executions tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator($"#executions tr[data-execution='{first}'] .state")).ToHaveTextAsync("Completed");
        second.Should().NotBe(first);
        session.Errors.Should().BeEmpty();
    }

    private static async Task<string> SubmitAndWaitAsync(IPage page, string payload)
    {
        await Expect(page.Locator("#intent-type option[value='demo.echo']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        await page.Locator("#intent-type").SelectOptionAsync("demo.echo");
        await page.Locator("#intent-payload").FillAsync(payload);
        await page.Locator("#intent-submit").ClickAsync();
        var accepted = page.Locator("#intent-result .execution-id");
        await Expect(accepted).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sag_"), new() { Timeout = Patience });
        var execution = (await accepted.TextContentAsync())!;
        await Expect(page.Locator($"#executions tr[data-execution='{execution}'] .state")).ToHaveTextAsync("Completed", new() { Timeout = Patience });
        return execution;
    }

    [Fact]
    public async Task A_bad_payload_shows_the_problem_with_its_code()
    {
        await using var host = await ExperienceHost.StartAsync();
        await using var session = await chromium.OpenAsync(host);
        var page = session.Page;

        await page.GotoAsync("/console");
        await page.Locator("#key-input").FillAsync(ExperienceHost.AliceKey);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#intent-type option[value='demo.echo']")).ToHaveCountAsync(1, new() { Timeout = Patience });

        await page.Locator("#intent-type").SelectOptionAsync("demo.echo");
        await page.Locator("#intent-payload").FillAsync("{\"id\": \"seven\"}");
        await page.Locator("#intent-submit").ClickAsync();
        await Expect(page.Locator("#intent-result .problem .code")).ToHaveTextAsync("intake.invalid_payload", new() { Timeout = Patience });
        await Expect(page.Locator("#intent-result .problem")).ToContainTextAsync("(400)");

        // Not JSON at all: refused before it is sent.
        await page.Locator("#intent-payload").FillAsync("{ id: ");
        await page.Locator("#intent-submit").ClickAsync();
        await Expect(page.Locator("#intent-result .problem .code")).ToHaveTextAsync("console.invalid_json", new() { Timeout = Patience });

        host.Engine.ListActive(host.Alice).Should().BeEmpty("nothing bad was recorded");
        session.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_script_in_a_payload_value_is_shown_as_text_and_never_runs()
    {
        await using var host = await ExperienceHost.StartAsync();
        await using var session = await chromium.OpenAsync(host);
        var page = session.Page;

        // The key from the URL fragment, which the page then takes out of the address.
        await page.GotoAsync($"/console#key={ExperienceHost.AliceKey}");
        await Expect(page.Locator("#status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^live"), new() { Timeout = Patience });
        (await page.EvaluateAsync<string>("() => location.hash")).Should().BeEmpty();

        const string Injection = "<img src=x onerror=\"window.injected=1\"><script>window.injected=2</script>";
        await page.Locator("#intent-type").SelectOptionAsync("demo.note");
        await page.Locator("#intent-payload").FillAsync(System.Text.Json.JsonSerializer.Serialize(new { text = Injection }));
        await page.Locator("#intent-submit").ClickAsync();
        var accepted = page.Locator("#intent-result .execution-id");
        await Expect(accepted).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sag_"), new() { Timeout = Patience });
        var row = page.Locator($"#executions tr[data-execution='{await accepted.TextContentAsync()}']");
        await Expect(row.Locator(".state")).ToHaveTextAsync("Completed", new() { Timeout = Patience });

        await row.ClickAsync();
        await Expect(page.Locator("#detail-state [data-field=output]")).ToContainTextAsync(Injection, new() { Timeout = Patience });
        (await page.Locator("#detail img, #detail script").CountAsync()).Should().Be(0, "the output is text, not markup");
        (await page.EvaluateAsync<bool>("() => window.injected === undefined")).Should().BeTrue("no injected script ran");
        session.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task An_agents_artifact_is_shown_with_its_citations()
    {
        await using var host = await ExperienceHost.StartAsync();
        await using var session = await chromium.OpenAsync(host);
        var page = session.Page;

        await page.GotoAsync($"/console#key={ExperienceHost.AliceKey}");
        await Expect(page.Locator("#intent-type option[value='demo.explain']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        await page.Locator("#intent-type").SelectOptionAsync("demo.explain");
        await page.Locator("#intent-payload").FillAsync("{\"id\": 8}");
        await page.Locator("#intent-submit").ClickAsync();
        var accepted = page.Locator("#intent-result .execution-id");
        await Expect(accepted).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sag_"), new() { Timeout = Patience });
        var row = page.Locator($"#executions tr[data-execution='{await accepted.TextContentAsync()}']");
        await Expect(row.Locator(".state")).ToHaveTextAsync("Completed", new() { Timeout = Patience });

        await row.ClickAsync();
        await Expect(page.Locator("#detail-artifacts .artifact-text")).ToHaveTextAsync("Order 8 is fine.", new() { Timeout = Patience });
        await Expect(page.Locator("#detail-artifacts .citations li")).ToHaveTextAsync(["fact:order/8"], new() { Timeout = Patience });
        session.Errors.Should().BeEmpty();
    }
}

/// <summary>
/// One headless chromium for the console tests: Debian's <c>/usr/bin/chromium</c> (CHROMIUM_PATH overrides it), which
/// ./build.sh test installs. No browser is downloaded; a missing one fails the tests, it never skips them.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string ExecutablePath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The console page tests need chromium at {ExecutablePath}: install it with 'apt-get install -y chromium' (./build.sh test does), or set CHROMIUM_PATH.");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    public async Task<PageSession> OpenAsync(ExperienceHost host)
    {
        var context = await _browser!.NewContextAsync(new() { BaseURL = host.Address.ToString().TrimEnd('/') });
        var page = await context.NewPageAsync();
        var session = new PageSession(context, page);
        page.Console += (_, message) =>
        {
            // A refused request's status (the bad payload's 400) is logged by the browser too: that is the test's own doing.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                session.Errors.Add($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => session.Errors.Add($"page: {error}");
        return session;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    public sealed class PageSession(IBrowserContext context, IPage page) : IAsyncDisposable
    {
        public IPage Page { get; } = page;

        public List<string> Errors { get; } = [];

        public async ValueTask DisposeAsync() => await context.CloseAsync();
    }
}
