using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Tests;

public sealed class ContentServiceTests
{
    private readonly CsvParser _csv = new();

    [Fact]
    public void Quoted_fields_hold_commas_doubled_quotes_and_line_breaks()
    {
        var table = _csv.ParseTable("t.csv", "id,name,note\r\n1,\"Hopper, Grace\",\"said \"\"hi\"\"\"\r\n2,Ada,\"two\nlines\"\n3,  Alan  ,\" kept \"\n");

        table.Columns.Should().Equal("id", "name", "note");
        table.Rows.Select(r => r.Cells).Should().BeEquivalentTo(new[]
        {
            new[] { "1", "Hopper, Grace", "said \"hi\"" },
            new[] { "2", "Ada", "two\nlines" },
            new[] { "3", "Alan", " kept " },
        }, o => o.WithStrictOrdering());
        table.Rows.Select(r => (r.Number, r.Line)).Should().Equal((1, 2), (2, 3), (3, 5)); // row 2's quoted line break moves row 3 to line 5
    }

    [Fact]
    public void Short_rows_are_padded_with_missing_values_and_blank_lines_skipped()
    {
        var table = _csv.ParseTable("t.csv", "a,b,c\n1,,3\n\n4\n");

        table.Rows.Select(r => r.Cells).Should().BeEquivalentTo(new[] { new[] { "1", "", "3" }, new[] { "4", "", "" } }, o => o.WithStrictOrdering());
        table.Rows[1].Line.Should().Be(4);
    }

    [Fact]
    public void A_row_with_too_many_cells_or_an_unclosed_quote_is_an_invalid_file()
    {
        var extra = () => _csv.ParseTable("t.csv", "a,b\n1,2,3\n");
        extra.Should().Throw<SymphainyException>().Where(e => e.Code == "content.invalid_file" && e.Message.Contains("line 2"));

        var unclosed = () => _csv.ParseTable("t.csv", "a,b\n1,\"open\n2,3\n");
        unclosed.Should().Throw<SymphainyException>().Where(e => e.Code == "content.invalid_file" && e.Message.Contains("line 2"));
    }

    [Fact]
    public void Every_row_is_a_fact_citing_its_row()
    {
        var document = _csv.Parse("orders.csv", "id,email\n7,\n");

        document.Facts.Should().ContainSingle().Which.Should().Be(new ContentFact("orders.csv#row=1", "Row 1 of orders.csv: id = 7; email = (missing)"));
        document.Sha256.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public void Text_is_chunked_by_paragraph_with_its_lines()
    {
        var chunks = new TextChunker().Chunk("Title\n\nFirst line\nsecond line\n\n\nLast\n");

        chunks.Select(c => (c.Index, c.FirstLine, c.LastLine, c.Text)).Should().Equal(
            (1, 1, 1, "Title"), (2, 3, 4, "First line\nsecond line"), (3, 7, 7, "Last"));
        new TextChunker().Parse("p.txt", "a\n\nb").Facts.Select(f => f.Source).Should().Equal("p.txt#chunk=1;lines=1-1", "p.txt#chunk=2;lines=3-3");
    }

    [Fact]
    public void Markdown_passages_carry_their_heading_path()
    {
        var chunks = new MarkdownSectioner().Section("# Policy\nIntro\n\n## Amounts\n- positive\n- in euros\n```\n# not a heading\n```\n");

        chunks.Select(c => (c.Heading, c.FirstLine, c.LastLine)).Should().Equal(("Policy", 2, 2), ("Policy > Amounts", 5, 9));
    }

    [Fact]
    public void A_json_array_of_objects_is_a_table_and_anything_else_is_passages()
    {
        var table = new JsonFlattener().Parse("o.json", """[{"id":1,"who":{"name":"Ada"}},{"id":2,"extra":true}]""").Table!;
        table.Columns.Should().Equal("id", "who.name", "extra");
        table.Rows.Select(r => r.Cells).Should().BeEquivalentTo(new[] { new[] { "1", "Ada", "" }, new[] { "2", "", "true" } }, o => o.WithStrictOrdering());

        new JsonFlattener().Parse("c.json", """{"limits":{"max":5},"tags":["a"]}""").Chunks.Select(c => c.Text).Should().Equal("limits.max = 5", "tags[0] = a");
        var invalid = () => new JsonFlattener().Parse("bad.json", "{");
        invalid.Should().Throw<SymphainyException>().Which.Code.Should().Be("content.invalid_file");
    }

    [Fact]
    public void Facts_are_retrieved_by_reference_or_by_file()
    {
        var documents = new[] { _csv.Parse("a.csv", "x\n1\n2\n") };
        var index = new ContentIndex();

        index.List(documents).Select(a => (a.Reference, a.Kind)).Should().Equal(("a.csv", "file"), ("a.csv#row=1", "row"), ("a.csv#row=2", "row"));
        var found = index.Retrieve(documents, ["a.csv#row=2", "a.csv#row=9", "a.csv"]);
        found.Facts.Select(f => f.Source).Should().Equal("a.csv#row=2", "a.csv#row=1", "a.csv#row=2");
        found.Missing.Should().Equal("a.csv#row=9");
    }
}
