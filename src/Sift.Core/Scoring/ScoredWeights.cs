using Sift.Models;

namespace Sift.Scoring;

/// <summary>
/// The models a score was computed with: full folder paths and the <see cref="WeightsIdentity"/> of
/// each, in <see cref="ScoreJobSettings.Models"/> order (base then reference; the checkpoints in order).
/// Tables, partial files and shards carry them so rows of other weights are never reused or mixed.
/// </summary>
public sealed record ScoredWeights(IReadOnlyList<string> Models, IReadOnlyList<string> Identities)
{
    public static ScoredWeights Of(IReadOnlyList<string> modelDirs) =>
        new(modelDirs.Select(Path.GetFullPath).ToList(), modelDirs.Select(WeightsIdentity.Of).ToList());

    /// <summary>
    /// "MODEL (weights OLD → NEW)" for the first model folder whose weights differ between
    /// <paramref name="earlier"/> and this; null when they agree, or when the model folders themselves
    /// differ (another job, not other weights).
    /// </summary>
    public string? ChangedSince(ScoredWeights earlier)
    {
        if (earlier.Identities.Count != Models.Count || !earlier.Models.SequenceEqual(Models)) return null;
        for (int i = 0; i < Models.Count; i++)
            if (earlier.Identities[i] != Identities[i])
                return $"{Models[i]} (weights {WeightsIdentity.Short(earlier.Identities[i])} → {WeightsIdentity.Short(Identities[i])})";
        return null;
    }
}
