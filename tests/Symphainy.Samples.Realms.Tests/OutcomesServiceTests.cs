using Symphainy.Samples.Realms.Outcomes;

namespace Symphainy.Samples.Realms.Tests;

public sealed class OutcomesServiceTests
{
    private readonly HtmlExporter _exporter = new();

    [Fact]
    public void Markdown_becomes_html_headings_lists_tables_code_and_bold()
    {
        var html = _exporter.ToHtml("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n1. first\n2. second\n\n| A | B |\n|---|---:|\n| x | 2 |\n");

        html.Should().Be(
            "<h1>Title</h1>\n<p>Some <strong>bold</strong> and <code>code</code>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n" +
            "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n" +
            "<table>\n<thead>\n<tr><th>A</th><th style=\"text-align:right\">B</th></tr>\n</thead>\n<tbody>\n<tr><td>x</td><td style=\"text-align:right\">2</td></tr>\n</tbody>\n</table>\n");
    }

    [Fact]
    public void Text_from_the_files_never_becomes_markup()
    {
        var hostile = "<script>alert('x')</script> & \"q\" **not bold** `tick` | pipe # hash";
        var html = _exporter.ToHtml("- " + ReportComposer.Text(hostile) + " " + ReportComposer.Code("a`<b>") + "\n\n| c |\n|---|\n| " + ReportComposer.Text("a|b") + " |\n");

        html.Should().NotContain("<script>").And.NotContain("<strong>").And.NotContain("<b>");
        html.Should().Contain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; **not bold** `tick` | pipe # hash");
        html.Should().Contain("<code>a&#39;&lt;b&gt;</code>");
        html.Should().Contain("<td>a|b</td>", "an escaped pipe stays in its cell");
    }

    [Fact]
    public void The_export_is_a_whole_document_hashed_as_written()
    {
        var exported = _exporter.Export("R & D", "# R & D\n");

        exported.Html.Should().StartWith("<!DOCTYPE html>").And.Contain("<title>R &amp; D</title>").And.Contain("<h1>R &amp; D</h1>");
        exported.MarkdownSha256.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("# R & D\n"u8)));
        _exporter.Export("R & D", "# R & D\n").Should().Be(exported, "the export is deterministic");
    }
}
