namespace Sift.Generation;

/// <summary>How the next token is chosen. Temperature 0 means greedy (argmax).</summary>
public sealed record SamplingOptions
{
    public double Temperature { get; init; } = 0;
    /// <summary>Keep only the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of tokens whose probability reaches p; 1 keeps all.</summary>
    public double TopP { get; init; } = 1.0;
    public long Seed { get; init; }

    public void Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new SiftException($"temperature must be 0 (greedy) or positive, got {Temperature}");
        if (TopK < 0) throw new SiftException($"top-k must be 0 (off) or positive, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new SiftException($"top-p must be in (0, 1], got {TopP}");
    }
}
