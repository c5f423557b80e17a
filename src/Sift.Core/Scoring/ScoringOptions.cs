namespace Sift.Scoring;

/// <summary>How examples are batched for scoring. Neither setting changes the values, only speed and memory.</summary>
public sealed record ScoringOptions
{
    /// <summary>Examples per forward pass (examples of similar length are batched together).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Upper bound on padded tokens per forward pass (batch rows × longest row); a longer example still runs alone.</summary>
    public int MaxBatchTokens { get; init; } = 8192;

    /// <summary>Response positions whose logits are computed at once (each costs vocab × 4 bytes in fp32); a fixed block size keeps values independent of batching.</summary>
    public int LogitRows { get; init; } = 256;

    public void Validate()
    {
        if (BatchSize < 1) throw new SiftException($"--batch-size must be at least 1, got {BatchSize}");
        if (MaxBatchTokens < 1) throw new SiftException($"--max-batch-tokens must be at least 1, got {MaxBatchTokens}");
        if (LogitRows < 1) throw new SiftException($"logit rows must be at least 1, got {LogitRows}");
    }
}
