using Sift.Config;

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

    /// <summary>The range of <see cref="MaxLength"/> (also the packed row length's); the recipe key data.max_length checks the same one.</summary>
    public static readonly ValueRange<int> MaxLengthRange = Ranges.AtLeast(2);

    /// <summary>Checks options built in code against the range a recipe is checked against as it binds; errors name the recipe key.</summary>
    public void Validate() => MaxLengthRange.Check("data.max_length", MaxLength);

    /// <summary>The settings as a stable string, part of cache keys.</summary>
    public string Describe() =>
        $"max_length={MaxLength};over_length={OverLength};last_turn_only={LastTurnOnly};train_on_prompt={TrainOnPrompt}";
}
