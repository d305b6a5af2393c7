using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Symphainy.Capabilities;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.SmartCity;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Experience;

/// <summary>The REST routes under <c>/v1</c>: each authenticates, then submits an intent or reads what the Runtime recorded.</summary>
internal static class RestEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1").WithTags("Symphainy");

        Route(v1.MapPost("/sessions", Handle(CreateSessionAsync)))
            .Accepts<SessionRequest>("application/json").Produces<SessionBody>(StatusCodes.Status201Created).WithName("CreateSession");
        Route(v1.MapGet("/sessions/{id}", Handle(GetSessionAsync)))
            .Produces<SessionBody>().WithName("GetSession");
        Route(v1.MapDelete("/sessions/{id}", Handle(EndSessionAsync)))
            .Produces(StatusCodes.Status204NoContent).WithName("EndSession");
        Route(v1.MapPost("/intents", Handle(SubmitAsync)))
            .Accepts<IntentRequest>("application/json").Produces<AcceptanceBody>(StatusCodes.Status202Accepted).WithName("SubmitIntent");
        Route(v1.MapGet("/executions/{id}", Handle(GetExecutionAsync)))
            .Produces<ExecutionBody>().WithName("GetExecution");
        Route(v1.MapGet("/executions/{id}/events", Handle(GetEventsAsync)))
            .Produces<ExecutionEventBody[]>().WithName("GetExecutionEvents");
        Route(v1.MapGet("/executions/{id}/artifacts", Handle(GetArtifactsAsync)))
            .Produces<ArtifactBody[]>().WithName("GetExecutionArtifacts");
        Route(v1.MapPost("/executions/{id}/signals/{name}", Handle(SignalAsync)))
            .Accepts<JsonElement>("application/json").Produces<PositionBody>(StatusCodes.Status202Accepted).WithName("SignalExecution");
        Route(v1.MapPost("/executions/{id}/cancel", Handle(CancelAsync)))
            .Accepts<CancelRequest>("application/json").Produces<PositionBody>(StatusCodes.Status202Accepted).WithName("CancelExecution");
        Route(v1.MapGet("/capabilities", Handle(CapabilitiesAsync)))
            .Produces<CapabilityBody[]>().WithName("ListCapabilities");
    }

    private static Delegate Handle(Func<Call, Task<IResult>> handler) => new Func<HttpContext, Task>(http => RunAsync(http, handler));

    private static RouteHandlerBuilder Route(RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status400BadRequest, Problems.ContentType)
        .ProducesProblem(StatusCodes.Status401Unauthorized, Problems.ContentType)
        .ProducesProblem(StatusCodes.Status404NotFound, Problems.ContentType);

    /// <summary>Authenticates, runs <paramref name="handler"/> on behalf of the principal, and answers a problem for any typed error.</summary>
    private static async Task RunAsync(HttpContext http, Func<Call, Task<IResult>> handler)
    {
        IResult result;
        try
        {
            var services = http.RequestServices;
            var principal = Requests.Authenticate(http, services.GetRequiredService<SecurityGuard>(), allowQueryToken: false);
            using (SymphainyPrincipal.Use(principal))
            {
                result = await handler(new Call(http, principal, services)).ConfigureAwait(false);
            }
        }
        catch (SymphainyException error)
        {
            result = Problems.Result(error);
        }

        await result.ExecuteAsync(http).ConfigureAwait(false);
    }

    private static async Task<IResult> CreateSessionAsync(Call call)
    {
        var body = Requests.Object(await call.ReadJsonAsync().ConfigureAwait(false), optional: true);
        var ttlSeconds = Requests.OptionalNumber(body, "ttlSeconds");
        if (ttlSeconds is <= 0 or > 365 * 24 * 3600)
        {
            throw Requests.Invalid($"The field 'ttlSeconds' must be positive and at most a year, not {ttlSeconds}.");
        }

        var attributes = Requests.OptionalStringMap(body, "attributes");
        var session = await call.Get<ISessionRegistry>()
            .CreateAsync(call.Tenant, ttlSeconds is { } s ? TimeSpan.FromSeconds(s) : null, attributes, call.Aborted).ConfigureAwait(false);
        // A browser may ask to carry the session as a cookie (?cookie=true): it names the session and authenticates
        // nothing (credentials stay in headers). Only on request: an API client keeping cookies would otherwise put
        // every later intent into this session without saying so.
        if (string.Equals(call.Http.Request.Query["cookie"].ToString(), "true", StringComparison.OrdinalIgnoreCase))
        {
            AppendSessionCookie(call, session);
        }

        return Results.Json(SessionBody.From(session), Wire.Json, statusCode: StatusCodes.Status201Created)
            .WithLocation($"/v1/sessions/{session.Id}");
    }

    private static void AppendSessionCookie(Call call, Session session) =>
        call.Http.Response.Cookies.Append(Requests.SessionCookie, session.Id.ToString(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = call.Http.Request.IsHttps,
            Path = "/v1",
            Expires = session.ExpiresAt,
        });

    private static async Task<IResult> GetSessionAsync(Call call)
    {
        var id = call.RouteId<SessionId>("session");
        var session = await call.Get<ISessionRegistry>().GetAsync(call.Tenant, id, call.Aborted).ConfigureAwait(false)
            ?? throw SessionNotFound(id);
        return Results.Json(SessionBody.From(session), Wire.Json);
    }

    private static async Task<IResult> EndSessionAsync(Call call)
    {
        var id = call.RouteId<SessionId>("session");
        var registry = call.Get<ISessionRegistry>();
        if (!await registry.EndAsync(call.Tenant, id, call.Aborted).ConfigureAwait(false)
            && await registry.GetAsync(call.Tenant, id, call.Aborted).ConfigureAwait(false) is null)
        {
            throw SessionNotFound(id);
        }

        return Results.NoContent(); // ending an ended session again is not an error: it is ended
    }

    private static async Task<IResult> SubmitAsync(Call call)
    {
        var body = Requests.Object(await call.ReadJsonAsync().ConfigureAwait(false), optional: false);
        var type = Requests.RequiredString(body, "type");
        var payload = Requests.RequiredValue(body, "payload");
        var version = Requests.OptionalInt(body, "version");
        var session = Requests.OptionalId<SessionId>(Requests.OptionalString(body, "session"), "session")
            ?? Requests.OptionalId<SessionId>(call.Http.Request.Headers[Requests.SessionHeader].ToString(), "session")
            ?? Requests.OptionalId<SessionId>(call.Http.Request.Cookies[Requests.SessionCookie], "session");
        var metadata = Requests.OptionalStringMap(body, "metadata");
        var key = call.Http.Request.Headers[Requests.IdempotencyKeyHeader].ToString();
        var acceptance = await call.Get<IIntentIntake>()
            .SubmitAsync(new Intent(type, call.Tenant, payload, session, key.Length > 0 ? key : null, metadata, version), call.Aborted).ConfigureAwait(false);
        return Results.Json(new AcceptanceBody(acceptance.Intent, acceptance.Execution, acceptance.Position, acceptance.Duplicate), Wire.Json, statusCode: StatusCodes.Status202Accepted)
            .WithLocation($"/v1/executions/{acceptance.Execution}");
    }

    private static async Task<IResult> GetExecutionAsync(Call call)
    {
        var snapshot = await call.ExecutionAsync().ConfigureAwait(false);
        return Results.Json(ExecutionBody.From(snapshot), Wire.Json);
    }

    private static async Task<IResult> GetEventsAsync(Call call)
    {
        var snapshot = await call.ExecutionAsync().ConfigureAwait(false);
        var from = Requests.OptionalPosition(call.Http) ?? 1;
        var events = new List<ExecutionEventBody>();
        await foreach (var record in call.RecordsOf(snapshot.Id, from).ConfigureAwait(false))
        {
            if (ExecutionEventMapping.FromRecord(record) is { } executionEvent)
            {
                events.Add(ExecutionEventBody.From(executionEvent));
            }
        }

        return Results.Json(events, Wire.Json);
    }

    private static async Task<IResult> GetArtifactsAsync(Call call)
    {
        var snapshot = await call.ExecutionAsync().ConfigureAwait(false);
        var artifacts = new List<ArtifactBody>();
        await foreach (var record in call.RecordsOf(snapshot.Id, 1).ConfigureAwait(false))
        {
            if (record.Kind == WalRecordKind.AgentOutput && WalPayloadCodec.Decode(record) is StepCompletedPayload output)
            {
                artifacts.Add(new ArtifactBody(record.Position, snapshot.Id, output.Name, output.Index, record.Timestamp, output.Result is { } json ? Parse(json) : null));
            }
        }

        return Results.Json(artifacts, Wire.Json);
    }

    private static async Task<IResult> SignalAsync(Call call)
    {
        var snapshot = await call.ExecutionAsync().ConfigureAwait(false);
        var name = call.Http.GetRouteValue("name") as string;
        if (string.IsNullOrWhiteSpace(name))
        {
            throw Requests.Invalid("A signal needs a name: POST /v1/executions/{id}/signals/{name}.");
        }

        var value = await call.ReadJsonAsync().ConfigureAwait(false) ?? throw Requests.Invalid("The body is missing: a signal's value is any JSON value (send null for none).");
        var payload = JsonSerializer.SerializeToElement(new { sagaId = snapshot.Id.ToString(), name, value }, Wire.Json);
        var acceptance = await call.Get<IIntentIntake>().SubmitAsync(new Intent(BuiltInIntents.Signal, call.Tenant, payload), call.Aborted).ConfigureAwait(false);
        return Results.Json(new PositionBody(acceptance.Position), Wire.Json, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> CancelAsync(Call call)
    {
        var snapshot = await call.ExecutionAsync().ConfigureAwait(false);
        var body = Requests.Object(await call.ReadJsonAsync().ConfigureAwait(false), optional: true);
        var reason = Requests.OptionalString(body, "reason") ?? $"cancelled by {call.Principal.Id}";
        var payload = JsonSerializer.SerializeToElement(new { sagaId = snapshot.Id.ToString(), reason }, Wire.Json);
        var acceptance = await call.Get<IIntentIntake>().SubmitAsync(new Intent(BuiltInIntents.Cancel, call.Tenant, payload), call.Aborted).ConfigureAwait(false);
        return Results.Json(new PositionBody(acceptance.Position), Wire.Json, statusCode: StatusCodes.Status202Accepted);
    }

    private static Task<IResult> CapabilitiesAsync(Call call)
    {
        var curator = call.Http.RequestServices.GetService<Curator>();
        IEnumerable<CapabilityBody> capabilities = curator is not null
            ? curator.All.Select(c => new CapabilityBody(c.Name, c.Version, c.Realm, c.Description, JsonSerializer.SerializeToElement(c.InputSchema)))
            : call.Http.RequestServices.GetServices<CapabilityRegistration>().Select(c => new CapabilityBody(c.Name, c.Version, c.Realm, c.Description, null));
        var list = capabilities.OrderBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Version).ToArray();
        return Task.FromResult(Results.Json(list, Wire.Json));
    }

    private static SymphainyException SessionNotFound(SessionId id) =>
        new(ErrorCodes.SessionNotFound, $"Session {id} does not exist in your tenant (or has expired).");

    private static JsonElement Parse(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static Located WithLocation(this IResult result, string location) => new Located(result, location);

    private sealed class Located(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }

    /// <summary>One authenticated request: its principal's tenant and the services it needs.</summary>
    private sealed class Call(HttpContext http, SymphainyPrincipal principal, IServiceProvider services)
    {
        public HttpContext Http => http;

        public SymphainyPrincipal Principal => principal;

        public TenantId Tenant => principal.Tenant;

        public CancellationToken Aborted => http.RequestAborted;

        public T Get<T>()
            where T : notnull => services.GetRequiredService<T>();

        public Task<JsonElement?> ReadJsonAsync() =>
            Requests.ReadJsonAsync(http, services.GetRequiredService<IOptions<ExperienceOptions>>().Value.MaxRequestBytes);

        public TId RouteId<TId>(string what)
            where TId : struct, ITypedId<TId> => Requests.ParseId<TId>(http.GetRouteValue("id") as string, what);

        /// <summary>The route's execution, of the principal's tenant; another tenant's is not found.</summary>
        public async Task<SagaSnapshot> ExecutionAsync()
        {
            var id = RouteId<SagaId>("execution");
            return await Get<ISagaEngine>().GetAsync(Tenant, id, Aborted).ConfigureAwait(false)
                ?? throw new SymphainyException(ErrorCodes.SagaNotFound, $"Execution {id} does not exist in your tenant.");
        }

        /// <summary>The durable records of one execution from <paramref name="from"/> up to the log's end as it is now.</summary>
        public async IAsyncEnumerable<WalRecord> RecordsOf(SagaId saga, long from)
        {
            var wal = Get<IWriteAheadLog>();
            await foreach (var record in wal.ReadAsync(Math.Max(from, wal.FirstPosition), Aborted).ConfigureAwait(false))
            {
                if (record.Tenant == Tenant && record.Saga == saga)
                {
                    yield return record;
                }
            }
        }
    }
}
