namespace Sift.Text.Tokenizers;

/// <summary>Which tokens a model folder names as BOS, EOS, padding and stops, before they are looked up.</summary>
internal sealed record SpecialTokenChoice
{
    public string? BosToken { get; init; }
    public int? BosId { get; init; }
    public string? EosToken { get; init; }
    public int? EosId { get; init; }
    public string? PadToken { get; init; }
    public int? PadId { get; init; }
    public bool AddBos { get; init; }
    public bool AddEos { get; init; }
    public IReadOnlyList<int> ExtraStopIds { get; init; } = [];
    public IReadOnlyList<string> ExtraStopTokens { get; init; } = [];
}
