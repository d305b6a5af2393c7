using Microsoft.Extensions.Options;

namespace Symphainy.SmartCity.Tests;

/// <summary>
/// Credentials are redacted from logs even when no sensitive field is configured: a browser's WebSocket sends its API
/// key or bearer token as <c>access_token</c> in the query string, which the web server's request log writes out
/// (the reliability suite's log scan of a real host found the key there).
/// </summary>
public sealed class CredentialRedactionTests
{
    [Fact]
    public void An_access_token_in_a_logged_request_line_is_redacted_without_any_configuration()
    {
        var steward = new DataSteward(Options.Create(new DataStewardOptions()));

        steward.IsActive.Should().BeTrue("credentials are always redacted");
        var line = steward.Redact("Request starting HTTP/1.1 GET http://127.0.0.1:5000/v1/events?access_token=key0.s3cr3t-value - - -");
        line.Should().NotContain("s3cr3t-value").And.Contain("access_token=[redacted]").And.Contain("Request starting HTTP/1.1 GET");
        steward.Redact("?execution=sag_1&access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").Should().NotContain("eyJ");
        steward.Classify("access_token").Should().Be(DataClassification.Sensitive);
        steward.Classify("id").Should().Be(DataClassification.Public);
    }
}
