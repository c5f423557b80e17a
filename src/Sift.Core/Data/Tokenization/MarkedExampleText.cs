using System.Text;
using Sift.Text;

namespace Sift.Data.Tokenization;

/// <summary>An example's text as the model sees it, with each run of trained tokens wrapped in markers.</summary>
public static class MarkedExampleText
{
    public const string DefaultOpen = "⟦", DefaultClose = "⟧";

    public static string Render(ModelTokenizer tokenizer, TokenizedExample example, string open = DefaultOpen, string close = DefaultClose)
    {
        var text = new StringBuilder();
        var decoder = tokenizer.CreateStreamingDecoder();
        bool inside = false;
        for (int i = 0; i < example.Length; i++)
        {
            if (example.Trained[i] != inside)
            {
                text.Append(inside ? close : open);
                inside = !inside;
            }
            text.Append(decoder.Push(example.Tokens[i]));
        }
        text.Append(decoder.Flush());
        if (inside) text.Append(close);
        return text.ToString();
    }
}
