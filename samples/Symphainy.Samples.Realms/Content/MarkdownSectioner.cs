using System.Text;
using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// Splits Markdown into passages by structure: each ATX heading (<c>#</c> to <c>######</c>) starts a section, and
/// each paragraph, list or fenced code block of a section is a passage that carries its heading path
/// (<c>Policy &gt; Amounts</c>). Lines are kept, so facts cite <c>{file}#chunk={n};lines={a}-{b}</c>.
/// </summary>
public sealed class MarkdownSectioner : IRealmService
{
    /// <summary>Parses a Markdown file into passages and one fact per passage.</summary>
    /// <param name="name">The file's name (for provenance).</param>
    /// <param name="text">The file's text.</param>
    /// <returns>The parsed file.</returns>
    public ParsedDocument Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        return ContentText.Chunks(name, "markdown", text, Section(text));
    }

    /// <summary>Splits Markdown into passages under their headings.</summary>
    /// <param name="text">The Markdown.</param>
    /// <returns>The passages, numbered from 1.</returns>
    public IReadOnlyList<TextChunk> Section(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chunks = new List<TextChunk>();
        var headings = new List<(int Level, string Text)>();
        var current = new StringBuilder();
        var first = 0;
        var last = 0;
        var fenced = false;
        var lines = ContentText.Lines(text);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced && Heading(line) is { } heading)
            {
                Flush();
                headings.RemoveAll(h => h.Level >= heading.Level);
                headings.Add(heading);
                continue;
            }
            else if (!fenced && line.Trim().Length == 0)
            {
                Flush();
                continue;
            }

            if (current.Length == 0)
            {
                first = i + 1;
            }
            else
            {
                current.Append('\n');
            }

            current.Append(line);
            last = i + 1;
        }

        Flush();
        return chunks;

        void Flush()
        {
            if (current.Length > 0)
            {
                chunks.Add(new TextChunk(chunks.Count + 1, first, last, string.Join(" > ", headings.Select(h => h.Text)), current.ToString()));
                current.Clear();
            }
        }
    }

    private static (int Level, string Text)? Heading(string line)
    {
        var level = 0;
        while (level < line.Length && line[level] == '#')
        {
            level++;
        }

        return level is >= 1 and <= 6 && (line.Length == level || line[level] == ' ') ? (level, line[level..].Trim().TrimEnd('#').Trim()) : null;
    }
}
