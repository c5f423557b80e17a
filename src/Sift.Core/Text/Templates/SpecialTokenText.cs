namespace Sift.Text.Templates;

/// <summary>
/// The text of a model's beginning- and end-of-sequence tokens as its tokenizer_config.json names
/// them (e.g. "&lt;s&gt;" and "&lt;/s&gt;"), or null where the model has none.
/// </summary>
public sealed record SpecialTokenText(string? Bos, string? Eos)
{
    public static SpecialTokenText None { get; } = new(null, null);
}
