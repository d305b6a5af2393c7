using System.Text;
using System.Text.Json;

namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>
/// The HTTP client against a fake server answering with ArangoDB's documented responses: authentication headers, cursor
/// batching, retries, error mapping and timeouts. Protocol tests: they prove what is sent and how answers are read, not
/// that a real ArangoDB answers so.
/// </summary>
[Trait("Category", "Protocol")]
public sealed class ArangoClientProtocolTests : IAsyncLifetime, IDisposable
{
    private FakeArangoServer _server = null!;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync() => _server = await FakeArangoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private ArangoClient Client(Action<ArangoOptions>? change = null) => new(_http, _server.Options(change), TimeProvider.System);

    private static Dictionary<string, object?> NoBind => [];

    [Fact]
    public async Task Basic_authentication_sends_the_user_and_password()
    {
        await Client(o => { o.User = "graph"; o.Password = "p@ss:word"; }).QueryAsync("RETURN 1", NoBind, null, default);

        var header = _server.Requests.Single().Header("Authorization");
        header.Should().Be("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("graph:p@ss:word")));
    }

    [Fact]
    public async Task A_bearer_token_is_sent_instead_of_basic_authentication()
    {
        await Client(o => o.BearerToken = "eyJhbGciOiJIUzI1NiJ9.e30.sig").QueryAsync("RETURN 1", NoBind, null, default);

        _server.Requests.Single().Header("Authorization").Should().Be("bearer eyJhbGciOiJIUzI1NiJ9.e30.sig");
    }

    [Fact]
    public async Task Without_a_user_no_authorization_header_is_sent()
    {
        await Client(o => o.User = "").QueryAsync("RETURN 1", NoBind, null, default);

        _server.Requests.Single().Header("Authorization").Should().BeNull();
    }

    [Fact]
    public async Task A_query_goes_to_the_cursor_api_of_the_database_with_bind_variables_and_the_batch_size()
    {
        await Client(o => { o.Database = "graph-db"; o.BatchSize = 250; }).QueryAsync("FOR n IN @@c FILTER n.tenant == @tenant RETURN n", new Dictionary<string, object?> { ["@c"] = "nodes", ["tenant"] = "ten_1" }, null, default);

        var request = _server.Requests.Single();
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/_db/graph-db/_api/cursor");
        request.Header("Content-Type").Should().StartWith("application/json");
        request.Aql.Should().Be("FOR n IN @@c FILTER n.tenant == @tenant RETURN n");
        request.BindVars.GetProperty("@c").GetString().Should().Be("nodes");
        request.BindVars.GetProperty("tenant").GetString().Should().Be("ten_1");
        request.Json.GetProperty("batchSize").GetInt32().Should().Be(250);
    }

    [Fact]
    public async Task A_cursor_is_read_batch_by_batch_following_hasMore_and_its_id()
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(201, ArangoResponses.Cursor(201, "[1,2]", hasMore: true, id: "4711")));
        _server.Enqueue("POST", "/_api/cursor/4711",
            new FakeResponse(200, ArangoResponses.Cursor(200, "[3,4]", hasMore: true, id: "4711")),
            new FakeResponse(200, ArangoResponses.Cursor(200, "[5]", hasMore: false, id: "4711")));

        var results = await Client().QueryAsync("FOR i IN 1..5 RETURN i", NoBind, null, default);

        results.Select(r => r.GetInt32()).Should().Equal(1, 2, 3, 4, 5);
        _server.Requests.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "POST /_db/symphainy/_api/cursor", "POST /_db/symphainy/_api/cursor/4711", "POST /_db/symphainy/_api/cursor/4711");
    }

    [Fact]
    public async Task A_cursor_that_fails_midway_is_deleted_and_its_next_batch_is_not_retried()
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(201, ArangoResponses.Cursor(201, "[1]", hasMore: true, id: "88")));
        _server.Enqueue("POST", "/_api/cursor/88", ArangoResponses.Unavailable);

        var act = () => Client().QueryAsync("FOR i IN 1..5 RETURN i", NoBind, null, default);

        (await act.Should().ThrowAsync<ArangoException>()).Which.Code.Should().Be("arango.unavailable");
        _server.Requests.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "POST /_db/symphainy/_api/cursor", "POST /_db/symphainy/_api/cursor/88", "DELETE /_db/symphainy/_api/cursor/88");
    }

    [Fact]
    public async Task Service_unavailable_is_retried_until_the_server_answers()
    {
        _server.Enqueue("POST", "/_api/cursor", ArangoResponses.Unavailable, ArangoResponses.Unavailable, new FakeResponse(201, ArangoResponses.Cursor(201, "[42]", hasMore: false)));

        var results = await Client().QueryAsync("RETURN 42", NoBind, null, default);

        results.Single().GetInt32().Should().Be(42);
        _server.Queries.Should().HaveCount(3).And.OnlyContain(r => r.Aql == "RETURN 42");
    }

    [Fact]
    public async Task A_write_write_conflict_is_retried()
    {
        _server.Enqueue("POST", "/_api/cursor", ArangoResponses.Conflict, new FakeResponse(201, ArangoResponses.Cursor(201, "[]", hasMore: false)));

        await Client().QueryAsync("INSERT {} INTO c", NoBind, null, default);

        _server.Queries.Should().HaveCount(2);
    }

    [Fact]
    public async Task Retries_stop_after_MaxRetries_with_a_typed_error_carrying_the_status_and_errorNum()
    {
        _server.Enqueue("POST", "/_api/cursor", Enumerable.Repeat(ArangoResponses.Unavailable, 10).ToArray());

        var act = () => Client(o => o.MaxRetries = 2).QueryAsync("RETURN 1", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be("arango.unavailable");
        error.IsRetryable.Should().BeTrue();
        error.HttpStatus.Should().Be(503);
        error.ErrorNum.Should().Be(503);
        error.Message.Should().Contain("after 3 tries");
        _server.Queries.Should().HaveCount(3, "one try and two retries");
    }

    [Fact]
    public async Task A_conflict_on_every_try_is_arango_conflict_with_errorNum_1200()
    {
        _server.Enqueue("POST", "/_api/cursor", Enumerable.Repeat(ArangoResponses.Conflict, 10).ToArray());

        var act = () => Client(o => o.MaxRetries = 1).QueryAsync("INSERT {} INTO c", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be("arango.conflict");
        error.ErrorNum.Should().Be(1200);
        error.HttpStatus.Should().Be(409);
        _server.Queries.Should().HaveCount(2);
    }

    [Fact]
    public async Task Other_conflicts_are_not_retried()
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(409, ArangoResponses.Error(409, 1210, "unique constraint violated - in index primary of type primary over '_key'")));

        var act = () => Client().QueryAsync("INSERT {} INTO c", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be("arango.request_failed");
        error.ErrorNum.Should().Be(1210);
        error.Message.Should().Contain("1210").And.Contain("unique constraint violated");
        _server.Queries.Should().ContainSingle();
    }

    [Theory]
    [InlineData(401, 401, "not authorized to execute this request", "arango.unauthorized")]
    [InlineData(403, 11, "forbidden", "arango.unauthorized")]
    [InlineData(404, 1203, "collection or view not found: symphainy_nodes", "arango.request_failed")]
    [InlineData(400, 1501, "syntax error, unexpected identifier near 'FORR'", "arango.request_failed")]
    [InlineData(500, 4, "internal error", "arango.request_failed")]
    public async Task Error_answers_map_to_typed_errors_carrying_Arangos_numbers(int status, int errorNum, string message, string code)
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(status, ArangoResponses.Error(status, errorNum, message)));

        var act = () => Client().QueryAsync("RETURN 1", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be(code);
        error.HttpStatus.Should().Be(status);
        error.ErrorNum.Should().Be(errorNum);
        error.Message.Should().Contain(message).And.Contain("POST /_db/symphainy/_api/cursor");
        error.Should().BeAssignableTo<SymphainyException>();
        _server.Queries.Should().ContainSingle("only 503 and errorNum 1200 are retried");
    }

    [Fact]
    public async Task An_error_answer_that_is_not_json_still_maps_to_a_typed_error()
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(502, "<html>bad gateway</html>"));

        var act = () => Client().QueryAsync("RETURN 1", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be("arango.request_failed");
        error.HttpStatus.Should().Be(502);
        error.ErrorNum.Should().Be(0);
    }

    [Fact]
    public async Task A_success_answer_that_is_not_json_is_a_bad_response()
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(201, "<html>a proxy page</html>"));

        var act = () => Client().QueryAsync("RETURN 1", NoBind, null, default);

        (await act.Should().ThrowAsync<ArangoException>()).Which.Code.Should().Be("arango.bad_response");
    }

    [Fact]
    public async Task A_request_slower_than_the_timeout_fails_with_arango_timeout_and_is_not_retried()
    {
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(201, ArangoResponses.Cursor(201, "[]", hasMore: false), Delay: TimeSpan.FromMinutes(5)));

        var act = () => Client(o => o.RequestTimeout = TimeSpan.FromMilliseconds(200)).QueryAsync("RETURN 1", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be("arango.timeout");
        error.HttpStatus.Should().Be(0);
        _server.Queries.Should().ContainSingle();
    }

    [Fact]
    public async Task A_server_that_cannot_be_reached_is_arango_unavailable_after_the_retries()
    {
        var url = _server.Url;
        await _server.DisposeAsync();
        _server = await FakeArangoServer.StartAsync();
        var client = new ArangoClient(_http, new ArangoOptions { Url = url, MaxRetries = 1, RetryDelay = TimeSpan.Zero }, TimeProvider.System);

        var act = () => client.QueryAsync("RETURN 1", NoBind, null, default);

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Code.Should().Be("arango.unavailable");
        error.Message.Should().Contain("after 2 tries");
    }

    [Fact]
    public async Task A_streaming_transaction_binds_its_requests_with_the_header_and_commits()
    {
        var client = Client();

        var result = await client.InTransactionAsync(["a", "b"], async (trx, ct) =>
        {
            await client.QueryAsync("INSERT {} INTO a", NoBind, trx, ct);
            return trx;
        }, default);

        result.Should().Be("7781");
        var requests = _server.Requests;
        requests.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "POST /_db/symphainy/_api/transaction/begin", "POST /_db/symphainy/_api/cursor", "PUT /_db/symphainy/_api/transaction/7781");
        requests[0].Json.GetProperty("collections").GetProperty("write").EnumerateArray().Select(e => e.GetString()).Should().Equal("a", "b");
        requests[1].Header(ArangoClient.TransactionHeader).Should().Be("7781");
        requests[0].Header(ArangoClient.TransactionHeader).Should().BeNull();
    }

    [Fact]
    public async Task A_conflict_inside_a_transaction_aborts_it_and_runs_the_whole_transaction_again()
    {
        var client = Client();
        _server.Enqueue("POST", "/_api/transaction/begin", new FakeResponse(201, ArangoResponses.Transaction(201, "1", "running")), new FakeResponse(201, ArangoResponses.Transaction(201, "2", "running")));
        _server.Enqueue("POST", "/_api/cursor", ArangoResponses.Conflict);

        await client.InTransactionAsync(["a"], async (trx, ct) =>
        {
            await client.QueryAsync("INSERT {} INTO a", NoBind, trx, ct);
            return true;
        }, default);

        _server.Requests.Select(r => $"{r.Method} {r.Path} {r.Header(ArangoClient.TransactionHeader)}".TrimEnd()).Should().Equal(
            "POST /_db/symphainy/_api/transaction/begin",
            "POST /_db/symphainy/_api/cursor 1",
            "DELETE /_db/symphainy/_api/transaction/1",
            "POST /_db/symphainy/_api/transaction/begin",
            "POST /_db/symphainy/_api/cursor 2",
            "PUT /_db/symphainy/_api/transaction/2");
    }

    [Fact]
    public async Task A_failure_that_retrying_cannot_mend_aborts_the_transaction_and_surfaces()
    {
        var client = Client();
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(400, ArangoResponses.Error(400, 1501, "syntax error")));

        var act = () => client.InTransactionAsync(["a"], async (trx, ct) =>
        {
            await client.QueryAsync("INSERT {} INTO a", NoBind, trx, ct);
            return true;
        }, default);

        (await act.Should().ThrowAsync<ArangoException>()).Which.ErrorNum.Should().Be(1501);
        _server.Requests.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "POST /_db/symphainy/_api/transaction/begin", "POST /_db/symphainy/_api/cursor", "DELETE /_db/symphainy/_api/transaction/7781");
    }

    [Fact]
    public void An_address_that_is_not_http_is_refused_with_a_typed_error()
    {
        var act = () => new ArangoClient(_http, new ArangoOptions { Url = "tcp://localhost:8529" }, TimeProvider.System);

        act.Should().Throw<SymphainyException>().Which.Code.Should().Be("host.misconfigured");
    }
}
