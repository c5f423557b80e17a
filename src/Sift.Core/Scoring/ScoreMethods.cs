using Sift.Scoring.Methods;

namespace Sift.Scoring;

/// <summary>The registry of score methods: `sift score` has one subcommand per entry, in this order, and the column catalog follows it.</summary>
public static class ScoreMethods
{
    public static IReadOnlyList<IScoreMethod> All { get; } =
    [
        new PerplexityMethod(),
        new IfdMethod(),
        new LearnabilityMethod(),
        new ConfidenceMethod(),
        new DynamicsMethod(),
        new RandomMethod(),
    ];

    public static IScoreMethod Named(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new SiftException($"no score method '{name}'; the methods are {string.Join(", ", All.Select(m => m.Name))}");
}
