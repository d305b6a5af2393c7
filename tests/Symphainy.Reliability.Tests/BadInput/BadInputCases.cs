using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Symphainy.Reliability.Tests.BadInput;

/// <summary>One bad request: what it is, how to build it, and the codes it may be refused with (any catalogued one when empty).</summary>
public sealed record BadRequest(string Name, HttpMethod Method, string Path, byte[]? Body, bool Chunked, IReadOnlyDictionary<string, string> Headers, string[] Expected)
{
    public HttpRequestMessage Build()
    {
        var request = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            request.Content = Chunked ? Bodies.Chunked(Body) : Bodies.Json(Body);
        }

        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public override string ToString() => $"{Name}: {Method} {Path} ({Body?.Length ?? 0} bytes{(Chunked ? ", chunked" : "")})";
}

/// <summary>
/// Generators of bad REST requests: malformed JSON, nesting beyond the limit, huge strings, invalid ids, wrong types,
/// unknown intents, invalid UTF-8, bad query values and oversize bodies, each with the codes that may refuse it.
/// </summary>
public static class BadInputCases
{
    public const int MaxRequestBytes = 128 * 1024;
    public const int MaxPayloadBytes = 32 * 1024;

    private const string Invalid = "experience.invalid_request";

    private static readonly Dictionary<string, string> NoHeaders = [];

    private static readonly string[] Posts = ["/v1/intents", "/v1/sessions", "/v1/executions/{execution}/signals/approve", "/v1/executions/{execution}/cancel"];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static BadRequest Post(string name, string path, byte[] body, params string[] expected) => new(name, HttpMethod.Post, path, body, false, NoHeaders, expected);

    private static BadRequest Intent(string name, object body, params string[] expected) => Post(name, "/v1/intents", JsonSerializer.SerializeToUtf8Bytes(body), expected);

    public static Gen<BadRequest> Any() => Gen.Frequency(
        (8, MalformedJson()), (4, DeepNesting()), (4, HugeStrings()), (6, InvalidIds()), (8, WrongTypes()), (4, UnknownIntents()),
        (5, InvalidUtf8()), (3, BadQueries()), (3, Oversize()));

    /// <summary>A valid body cut short, garbage appended, or not JSON at all.</summary>
    public static Gen<BadRequest> MalformedJson() =>
        from path in Gen.Elements(Posts)
        from form in Gen.Choose(0, 5)
        from cut in Gen.Choose(1, 40)
        from noise in Gen.ArrayOf(Gen.Choose(0x20, 0x7e).Select(c => (byte)c), 12)
        select Post("malformed json", path, form switch
        {
            0 => Utf8("""{"type":"rel.note","payload":{"text":"x"}}""")[..Math.Min(cut, 42)],
            1 => [.. Utf8("""{"type":"rel.note","payload":{"text":"x"}}"""), .. noise],
            2 => [(byte)'{', .. noise],
            3 => Utf8("{'type':'rel.note','payload':{}}"),
            4 => Utf8("""{"type":"rel.note","payload":NaN}"""),
            _ => Utf8("""{"type":"rel.note", /* a comment */ "payload":{}}"""),
        }, Invalid);

    /// <summary>Arrays or objects nested past the limit (64), in the body or inside the payload.</summary>
    public static Gen<BadRequest> DeepNesting() =>
        from depth in Gen.Choose(65, 20_000)
        from objects in Gen.Elements(true, false)
        from inPayload in Gen.Elements(true, false)
        let open = objects ? string.Concat(Enumerable.Repeat("{\"a\":", depth)) : new string('[', depth)
        let close = objects ? new string('}', depth) : new string(']', depth)
        select inPayload
            ? Post($"payload nested {depth}", "/v1/intents", Utf8("""{"type":"rel.note","payload":{"text":"x","deep":""" + open + "1" + close + "}}"), Invalid, "intake.invalid_payload")
            : Post($"body nested {depth}", "/v1/sessions", Utf8("""{"attributes":""" + open + "1" + close + "}"), Invalid);

    /// <summary>Strings far beyond what a field takes: intent types, idempotency keys, metadata, signal names, payload text.</summary>
    public static Gen<BadRequest> HugeStrings() =>
        from length in Gen.Choose(201, 60_000)
        from which in Gen.Choose(0, 4)
        let huge = new string('a', length)
        select which switch
        {
            0 => Intent("huge type", new { type = "rel." + huge, payload = new { text = "x" } }, "intake.invalid_intent", "intake.unknown_intent_type"),
            1 => new BadRequest("huge idempotency key", HttpMethod.Post, "/v1/intents", JsonSerializer.SerializeToUtf8Bytes(new { type = "rel.note", payload = new { text = "x" } }), false,
                new Dictionary<string, string> { ["Idempotency-Key"] = huge[..Math.Min(length, 8_000)] }, ["intake.invalid_intent"]),
            2 => Intent("huge metadata value", new { type = "rel.note", payload = new { text = "x" }, metadata = new Dictionary<string, string> { ["k"] = new string('m', 1024) + huge } }, "intake.invalid_intent"),
            3 => Intent("huge payload text", new { type = "rel.note", payload = new { text = new string('p', MaxPayloadBytes) + huge } }, "intake.payload_too_large"),
            _ => Intent("huge metadata key", new { type = "rel.note", payload = new { text = "x" }, metadata = new Dictionary<string, string> { [huge] = "v" } }, "intake.invalid_intent"),
        };

    /// <summary>Ids that are not ids: wrong prefix, wrong length, not hex, another kind's prefix, a nil Guid.</summary>
    public static Gen<BadRequest> InvalidIds() =>
        from id in Gen.Elements("sag_", "sag_123", "ses_" + new string('0', 32), "sag_" + new string('g', 32), "int_0190a1b2c3d4e5f60718293a4b5c6d7e",
            "SAG_0190A1B2C3D4E5F60718293A4B5C6D7E", "sag_0190a1b2-c3d4-e5f6-0718-293a4b5c6d7e", "%C3%28", "..%2F..%2Fetc%2Fpasswd", "sag_" + new string('f', 33), "x")
        from place in Gen.Choose(0, 5)
        select place switch
        {
            0 => new BadRequest("invalid execution id", HttpMethod.Get, $"/v1/executions/{id}", null, false, NoHeaders, [Invalid, "id.invalid"]),
            1 => new BadRequest("invalid execution id (events)", HttpMethod.Get, $"/v1/executions/{id}/events", null, false, NoHeaders, [Invalid, "id.invalid"]),
            2 => new BadRequest("invalid session id", HttpMethod.Get, $"/v1/sessions/{id}", null, false, NoHeaders, [Invalid, "id.invalid"]),
            3 => Intent("invalid session id in body", new { type = "rel.note", payload = new { text = "x" }, session = id }, Invalid, "id.invalid"),
            4 => new BadRequest("invalid session id in header", HttpMethod.Post, "/v1/intents", JsonSerializer.SerializeToUtf8Bytes(new { type = "rel.note", payload = new { text = "x" } }), false,
                new Dictionary<string, string> { ["X-Symphainy-Session"] = id }, [Invalid, "id.invalid"]),
            _ => new BadRequest("invalid execution id (cancel)", HttpMethod.Post, $"/v1/executions/{id}/cancel", Utf8("{}"), false, NoHeaders, [Invalid, "id.invalid"]),
        };

    /// <summary>Fields of the wrong type or out of range.</summary>
    public static Gen<BadRequest> WrongTypes() => Gen.Elements(
        Intent("type a number", new { type = 5, payload = new { } }, Invalid),
        Intent("type empty", new { type = "", payload = new { } }, Invalid),
        Intent("payload missing", new { type = "rel.note" }, Invalid),
        Intent("payload a string", new { type = "rel.note", payload = "text" }, "intake.invalid_payload"),
        Intent("payload text a number", new { type = "rel.note", payload = new { text = 5 } }, "intake.invalid_payload"),
        Intent("payload an array", new { type = "rel.note", payload = new[] { 1, 2 } }, "intake.invalid_payload"),
        Intent("version a string", new { type = "rel.note", payload = new { text = "x" }, version = "1" }, Invalid),
        Intent("version a fraction", new { type = "rel.note", payload = new { text = "x" }, version = 1.5 }, Invalid),
        Intent("version zero", new { type = "rel.note", payload = new { text = "x" }, version = 0 }, "intake.invalid_intent"),
        Intent("version past int", new { type = "rel.note", payload = new { text = "x" }, version = 1e12 }, Invalid),
        Intent("version unknown", new { type = "rel.note", payload = new { text = "x" }, version = 99 }, "intake.unknown_intent_type"),
        Intent("metadata an array", new { type = "rel.note", payload = new { text = "x" }, metadata = new[] { "a" } }, Invalid),
        Intent("metadata of numbers", new { type = "rel.note", payload = new { text = "x" }, metadata = new { a = 1 } }, Invalid),
        Intent("too much metadata", new { type = "rel.note", payload = new { text = "x" }, metadata = Enumerable.Range(0, 40).ToDictionary(i => $"k{i}", i => "v") }, "intake.invalid_intent"),
        Intent("session a number", new { type = "rel.note", payload = new { text = "x" }, session = 5 }, Invalid),
        Post("body an array", "/v1/intents", Utf8("[1,2,3]"), Invalid),
        Post("body a string", "/v1/intents", Utf8("\"rel.note\""), Invalid),
        Post("body null", "/v1/intents", Utf8("null"), Invalid),
        Post("body empty", "/v1/intents", [], Invalid),
        Post("ttl a string", "/v1/sessions", Utf8("""{"ttlSeconds":"60"}"""), Invalid),
        Post("ttl negative", "/v1/sessions", Utf8("""{"ttlSeconds":-1}"""), Invalid),
        Post("ttl past a year", "/v1/sessions", Utf8("""{"ttlSeconds":1e20}"""), Invalid),
        Post("ttl past the max", "/v1/sessions", Utf8("""{"ttlSeconds":31000000}"""), Invalid, "state.invalid_argument"),
        Post("attributes an array", "/v1/sessions", Utf8("""{"attributes":[1]}"""), Invalid),
        Post("attributes of objects", "/v1/sessions", Utf8("""{"attributes":{"a":{}}}"""), Invalid),
        Post("signal without a body", "/v1/executions/{execution}/signals/approve", [], Invalid),
        Post("cancel reason a number", "/v1/executions/{execution}/cancel", Utf8("""{"reason":5}"""), Invalid),
        Post("cancel body an array", "/v1/executions/{execution}/cancel", Utf8("[]"), Invalid),
        Intent("signal intent without saga", new { type = "symphainy.signal", payload = new { name = "approve" } }, "intake.invalid_payload"),
        Intent("cancel intent with a bad saga", new { type = "symphainy.cancel", payload = new { sagaId = "sag_x" } }, "intake.invalid_payload"),
        Intent("signal intent without name", new { type = "symphainy.signal", payload = new { sagaId = "{execution}" } }, "intake.invalid_payload"));

    /// <summary>Intent types no capability handles, or that are not intent types at all.</summary>
    public static Gen<BadRequest> UnknownIntents() =>
        from name in Gen.Elements("rel.nothing", "no.such_thing", "rel", "rel.", ".rel", "rel note", "rel.note;drop", "rel.nöte", "rel.note\u0000", "r\u202Eel.note", "1rel.note", "rel..note")
        select Intent($"intent type '{name}'", new { type = name, payload = new { text = "x" } }, "intake.unknown_intent_type", "intake.invalid_intent");

    /// <summary>Bytes that are not UTF-8 inside otherwise valid JSON.</summary>
    public static Gen<BadRequest> InvalidUtf8() =>
        from bad in Gen.Elements<byte[]>([0xC3, 0x28], [0xFF], [0xFE, 0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80])
        from place in Gen.Choose(0, 6)
        from surrogate in Gen.Elements("\\ud800", "\\udfff", "a\\udc00b", "\\ud83d")
        select place switch
        {
            4 => Post("unpaired surrogate escape in type", "/v1/intents", Utf8("{\"type\":\"rel." + surrogate + "\",\"payload\":{}}"), Invalid),
            5 => Post("unpaired surrogate escape in a name", "/v1/sessions", Utf8("{\"attributes\":{\"" + surrogate + "\":\"v\"}}"), Invalid),
            6 => Post("unpaired surrogate escape in metadata", "/v1/intents", Utf8("{\"type\":\"rel.note\",\"payload\":{\"text\":\"x\"},\"metadata\":{\"k\":\"" + surrogate + "\"}}"), Invalid),
            0 => Post("invalid utf-8 in payload", "/v1/intents", [.. Utf8("{\"type\":\"rel.note\",\"payload\":{\"text\":\"a"), .. bad, .. Utf8("\"}}")], Invalid),
            1 => Post("invalid utf-8 in type", "/v1/intents", [.. Utf8("{\"type\":\"rel."), .. bad, .. Utf8("\",\"payload\":{}}")], Invalid),
            2 => Post("invalid utf-8 in a name", "/v1/sessions", [.. Utf8("""{"attributes":{"""), (byte)'"', .. bad, .. Utf8("\":\"v\"}}")], Invalid),
            _ => Post("invalid utf-8 outside strings", "/v1/intents", [.. Utf8("""{"type":"rel.note","payload":"""), .. bad, .. Utf8("}")], Invalid),
        };

    /// <summary>Query values that are not log positions.</summary>
    public static Gen<BadRequest> BadQueries() =>
        from position in Gen.Elements("0", "-1", "abc", "1.5", "99999999999999999999999", "\u00e9", "1e3", " 1")
        select new BadRequest($"from={position}", HttpMethod.Get, $"/v1/executions/{{execution}}/events?from={Uri.EscapeDataString(position)}", null, false, NoHeaders, [Invalid, "events.invalid_position"]);

    /// <summary>Bodies past Symphainy:Experience:MaxRequestBytes, with a Content-Length or chunked.</summary>
    public static Gen<BadRequest> Oversize() =>
        from extra in Gen.Choose(1, 4 * MaxRequestBytes)
        from chunked in Gen.Elements(true, false)
        from path in Gen.Elements(Posts)
        select new BadRequest("oversize body", HttpMethod.Post, path,
            Utf8("""{"type":"rel.note","payload":{"text":""" + "\"" + new string('x', MaxRequestBytes + extra) + "\"}}"), chunked, NoHeaders, ["experience.payload_too_large"]);
}
