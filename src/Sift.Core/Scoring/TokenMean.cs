namespace Sift.Scoring;

/// <summary>
/// How Cartography's per-checkpoint probability p_c of a sequence averages its response tokens'
/// probabilities: geometrically, p_c = exp(−L_c) (Sift's default), or arithmetically, p_c = (1/T) Σ_t p(y_t)
/// (the mean over tokens of the gold token's probability, the closest reading of Swayamdipta et al. 2020's
/// probability of the gold label). The arithmetic mean is at least the geometric one (AM–GM), and a few
/// near-zero token probabilities pull it down far less.
/// </summary>
public enum TokenMean { Geometric, Arithmetic }

public static class TokenMeans
{
    public const string Choices = "geometric | arithmetic";

    /// <summary>Parses <paramref name="value"/> (null: geometric); <paramref name="option"/> names where it came from.</summary>
    public static TokenMean Parse(string? value, string option) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "geometric" => TokenMean.Geometric,
        "arithmetic" => TokenMean.Arithmetic,
        _ => throw new SiftException($"{option} must be geometric or arithmetic, got '{value}'"),
    };

    public static string Name(TokenMean mean) => mean == TokenMean.Arithmetic ? "arithmetic" : "geometric";
}
