namespace Sift.Scoring;

/// <summary>What a scoring run computes, and from which model passes.</summary>
public enum ScoreKind
{
    /// <summary>One model: loss, perplexity, accuracy.</summary>
    Perplexity,
    /// <summary>One model, two passes (after the prompt, after a minimal prefix): IFD.</summary>
    Ifd,
    /// <summary>Base and reference model: LoBaSS / DavIR learnability.</summary>
    Learnability,
    /// <summary>C checkpoints of one run: SFTMix confidence and Cartography statistics.</summary>
    Confidence,
}

/// <summary>One forward pass over the data: its name in partial files, the model, and whether it scores the IFD direct input.</summary>
public sealed record ScorePass(string Name, string ModelDir, bool Direct = false)
{
    public static IReadOnlyList<ScorePass> For(ScoreKind kind, IReadOnlyList<string> models)
    {
        int expected = kind switch { ScoreKind.Learnability => 2, ScoreKind.Confidence => -1, _ => 1 };
        if (expected > 0 && models.Count != expected) throw new ArgumentException($"{kind} scoring takes {expected} model(s), got {models.Count}");
        if (kind == ScoreKind.Confidence && models.Count < CheckpointConfidence.MinimumCheckpoints)
            throw new SiftException($"confidence scoring got {models.Count} checkpoint folder(s) ({string.Join(", ", models)}); " +
                                    $"Cartography's variability (and any average over checkpoints) needs at least {CheckpointConfidence.MinimumCheckpoints}: " +
                                    "list two or more with --checkpoints, or train the reference with output.confidence_checkpoints ≥ 2 and pass --run");
        return kind switch
        {
            ScoreKind.Perplexity => [new("model", models[0])],
            ScoreKind.Ifd => [new("conditioned", models[0]), new("direct", models[0], Direct: true)],
            ScoreKind.Learnability => [new("base", models[0]), new("ref", models[1])],
            _ => models.Select((m, i) => new ScorePass($"c{i + 1}", m)).ToList(),
        };
    }
}
