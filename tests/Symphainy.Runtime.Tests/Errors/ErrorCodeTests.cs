using Symphainy;

namespace Symphainy.Runtime.Tests.Errors;

public sealed class ErrorCodeTests
{
    [Fact]
    public void Catalogued_codes_are_unique_and_dotted()
    {
        ErrorCodes.All.Should().NotBeEmpty();
        ErrorCodes.All.Select(c => c.Code).Should().OnlyHaveUniqueItems();
        ErrorCodes.All.Should().OnlyContain(c => c.Code.Contains('.') && c.Description.Length > 10);
    }

    [Theory]
    [InlineData("nodots")]
    [InlineData("Upper.case")]
    [InlineData("trailing.")]
    [InlineData("white space.x")]
    public void A_code_that_is_not_area_dot_reason_is_refused(string code)
    {
        var act = () => new ErrorCode(code, ErrorKind.Domain, false, "something went wrong");
        act.Should().Throw<ArgumentException>().WithMessage("*area.reason*");
    }

    [Fact]
    public void Exception_carries_kind_code_retryability_and_message()
    {
        var declined = new ErrorCode("billing.card_declined", ErrorKind.Domain, isRetryable: false, "The card was declined.");
        var inner = new InvalidOperationException("gateway said no");
        var error = new SymphainyException(declined, "Card ending 4242 was declined; ask for another card.", inner);
        error.Code.Should().Be("billing.card_declined");
        error.Kind.Should().Be(ErrorKind.Domain);
        error.IsRetryable.Should().BeFalse();
        error.InnerException.Should().BeSameAs(inner);
        error.ToString().Should().StartWith("billing.card_declined (Domain):");
    }

    [Fact]
    public void Docs_list_every_runtime_code()
    {
        var documented = RepoFiles.ReadTableFirstColumn("docs/errors.md");
        documented.Should().Contain(ErrorCodes.All.Select(c => c.Code), "docs/errors.md lists every code in ErrorCodes");
        documented.Should().OnlyHaveUniqueItems();
    }
}
