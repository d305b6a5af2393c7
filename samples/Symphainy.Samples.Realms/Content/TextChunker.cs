using System.Text;
using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// Splits plain text into passages: paragraphs (separated by blank lines), each split further at line ends when
/// longer than <see cref="MaxChunkCharacters"/>. Each passage keeps the lines it covers, so a fact drawn from it cites
/// <c>{file}#chunk={n};lines={a}-{b}</c>.
/// </summary>
public sealed class TextChunker : IRealmService
{
    /// <summary>The longest passage, in characters, before a paragraph is split at a line end.</summary>
    public const int MaxChunkCharacters = 800;

    /// <summary>Parses a plain text file into passages and one fact per passage.</summary>
    /// <param name="name">The file's name (for provenance).</param>
    /// <param name="text">The file's text.</param>
    /// <returns>The parsed file.</returns>
    public ParsedDocument Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        return ContentText.Chunks(name, "text", text, Chunk(text));
    }

    /// <summary>Splits text into passages.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The passages, numbered from 1.</returns>
    public IReadOnlyList<TextChunk> Chunk(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chunks = new List<TextChunk>();
        var lines = ContentText.Lines(text);
        var current = new StringBuilder();
        var first = 0;
        var last = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd();
            if (line.Trim().Length == 0)
            {
                Flush();
                continue;
            }

            if (current.Length > 0 && current.Length + 1 + line.Length > MaxChunkCharacters)
            {
                Flush();
            }

            if (current.Length == 0)
            {
                first = i + 1;
            }
            else
            {
                current.Append('\n');
            }

            current.Append(line.Trim());
            last = i + 1;
        }

        Flush();
        return chunks;

        void Flush()
        {
            if (current.Length > 0)
            {
                chunks.Add(new TextChunk(chunks.Count + 1, first, last, "", current.ToString()));
                current.Clear();
            }
        }
    }
}
