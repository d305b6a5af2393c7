using System.Text.Json;
using Symphainy.Capabilities;

namespace Symphainy.Foundations.Tests;

public enum Priority
{
    Low,
    High,
}

public sealed record TreeNode(string Name, Priority Priority, IReadOnlyList<TreeNode> Children);

public sealed class JsonSchemaValidatorTests
{
    private static readonly JsonSchemaValidator Validator = new(Curator.SchemaOf(typeof(TreeNode)));

    private static IReadOnlyList<string> Check(string json) => Validator.Validate(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void A_valid_recursive_value_has_no_problems()
    {
        Check("""{"name": "root", "priority": "High", "children": [{"name": "leaf", "priority": "Low", "children": []}]}""").Should().BeEmpty();
    }

    [Fact]
    public void A_problem_deep_in_a_recursive_value_names_its_full_path()
    {
        Check("""{"name": "root", "priority": "High", "children": [{"name": "a", "priority": "Low", "children": [{"name": 5, "priority": "Low", "children": []}]}]}""")
            .Should().ContainSingle().Which.Should().Be("$.children[0].children[0].name: expected string, got number");
    }

    [Fact]
    public void An_enum_value_outside_its_names_is_refused_with_the_allowed_ones()
    {
        Check("""{"name": "root", "priority": "Urgent", "children": []}""")
            .Should().ContainSingle().Which.Should().StartWith("$.priority: must be one of").And.Contain("\"High\"");
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        Check("""{"priority": "Urgent", "children": [1]}""").Should().HaveCount(3)
            .And.Contain("$.name: is required").And.Contain("$.children[0]: expected object, got number");
    }
}
