namespace Sift.Text.Tokenizers;

/// <summary>What Meta's Llama 3 tokenizer.py fixes beside the rank file: the split pattern and the 256 special tokens.</summary>
internal static class Llama3Tokens
{
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const int SpecialTokenCount = 256;
    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";
    public const string EndOfTurn = "<|eot_id|>";

    /// <summary>The special tokens in id order, starting right after the last rank (128000 for Llama 3).</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = BuildSpecialTokens();

    private static List<string> BuildSpecialTokens()
    {
        var tokens = new List<string>
        {
            BeginOfText, EndOfText,
            "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
            "<|start_header_id|>", "<|end_header_id|>",
            "<|reserved_special_token_4|>", EndOfTurn,
        };
        for (int i = 5; i < SpecialTokenCount - 5; i++) tokens.Add($"<|reserved_special_token_{i}|>");
        return tokens;
    }
}
