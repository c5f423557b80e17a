namespace Sift.Scoring;

/// <summary>A setting a score method may take beyond its inputs; each is one `sift score` option (<see cref="IScoreMethod.Settings"/>).</summary>
public enum MethodSetting
{
    /// <summary>--ifd-prefix: the text before the response in IFD's direct pass.</summary>
    IfdPrefix,
    /// <summary>--token-mean: what Cartography's per-checkpoint probability p_c is.</summary>
    TokenMean,
    /// <summary>--epochs: only the first N complete epochs of recorded dynamics (Cartography's burn-out).</summary>
    Epochs,
    /// <summary>--seed: the seed of a random score.</summary>
    Seed,
}

/// <summary>The values of the <see cref="MethodSetting"/>s; a method reads only the ones it lists, the others keep their defaults.</summary>
public sealed record MethodSettings
{
    public string IfdPrefix { get; init; } = IfdDirectExamples.DefaultPrefix;
    /// <summary>Cartography's p_c: the geometric (exp(−L_c)) or arithmetic mean of the token probabilities.</summary>
    public TokenMean TokenMean { get; init; } = TokenMean.Geometric;
    /// <summary>Null: every complete epoch.</summary>
    public int? Epochs { get; init; }
    public long Seed { get; init; }
}
