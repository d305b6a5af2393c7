namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>
/// ArangoDB's answers in the shapes its HTTP API documentation (3.11/3.12) gives: success bodies of the endpoints the
/// graph uses and the error body <c>{"error":true,"code":...,"errorNum":...,"errorMessage":...}</c>. Written by hand
/// after the documentation, not captured from a running server: a real server may differ in detail.
/// </summary>
public static class ArangoResponses
{
    public const string Version = """{"server":"arango","license":"community","version":"3.12.4"}""";

    public const string DatabaseCurrent = """{"error":false,"code":200,"result":{"name":"symphainy","id":"1234","path":"none","isSystem":false}}""";

    public const string DatabaseCreated = """{"error":false,"code":201,"result":true}""";

    public const string IndexCreated = """{"id":"symphainy_nodes/9021","isNewlyCreated":true,"type":"persistent","unique":false,"sparse":false,"error":false,"code":201}""";

    public const string IndexExists = """{"id":"symphainy_nodes/9021","isNewlyCreated":false,"type":"persistent","unique":false,"sparse":false,"error":false,"code":200}""";

    public static string CollectionCreated(string name, int type) =>
        $$"""{"error":false,"code":200,"id":"8012","name":"{{name}}","type":{{type}},"status":3,"isSystem":false,"waitForSync":false}""";

    public static string Cursor(int code, string resultArray, bool hasMore, string? id = null) =>
        $$$"""{"result":{{{resultArray}}},"hasMore":{{{(hasMore ? "true" : "false")}}}{{{(id is null ? "" : $",\"id\":\"{id}\"")}}},"cached":false,"extra":{"warnings":[],"stats":{"writesExecuted":0,"writesIgnored":0,"scannedFull":0,"scannedIndex":0,"filtered":0,"executionTime":0.0001}},"error":false,"code":{{{code}}}}""";

    public static string Transaction(int code, string id, string status) =>
        $$$"""{"code":{{{code}}},"error":false,"result":{"id":"{{{id}}}","status":"{{{status}}}"}}""";

    public static string Error(int code, int errorNum, string message) =>
        $$"""{"code":{{code}},"error":true,"errorNum":{{errorNum}},"errorMessage":"{{message}}"}""";

    public static FakeResponse Unavailable => new(503, Error(503, 503, "service unavailable"));

    public static FakeResponse Conflict => new(409, Error(409, 1200, "write-write conflict"));

    public static FakeResponse DatabaseNotFound => new(404, Error(404, 1228, "database not found"));

    public static FakeResponse DuplicateName => new(409, Error(409, 1207, "duplicate name"));
}
