namespace Sift.Data.Tokenization;

/// <summary>What to do with an example longer than <see cref="TokenizationOptions.MaxLength"/>.</summary>
public enum OverLengthPolicy
{
    /// <summary>Keep the first MaxLength tokens (the example is dropped if no trained token is left).</summary>
    Truncate,
    /// <summary>Leave the example out.</summary>
    Drop,
}

/// <summary>How conversations become training examples.</summary>
public sealed record TokenizationOptions
{
    public int MaxLength { get; init; } = 1024;
    public OverLengthPolicy OverLength { get; init; } = OverLengthPolicy.Truncate;
    /// <summary>Train only the last assistant turn (default: every assistant turn).</summary>
    public bool LastTurnOnly { get; init; }
    /// <summary>Train every token, prompt included (default: assistant content and end of turn only).</summary>
    public bool TrainOnPrompt { get; init; }

    public void Validate()
    {
        if (MaxLength < 2) throw new SiftException($"max_length must be at least 2, got {MaxLength}");
    }

    /// <summary>The settings as a stable string, part of cache keys.</summary>
    public string Describe() =>
        $"max_length={MaxLength};over_length={OverLength};last_turn_only={LastTurnOnly};train_on_prompt={TrainOnPrompt}";
}
