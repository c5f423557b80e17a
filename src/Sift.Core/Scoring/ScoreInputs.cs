namespace Sift.Scoring;

/// <summary>What a score method is computed from: the passes of the models it needs, a run's recorded dynamics, or the data alone.</summary>
public enum ScoreInputs
{
    /// <summary>One model folder (--model).</summary>
    OneModel,
    /// <summary>The base model and the reference, the base fine-tuned on the whole pool (--base, --ref).</summary>
    BaseAndReference,
    /// <summary>C ≥ 2 checkpoints of one training run, in training order (--run or --checkpoints).</summary>
    Checkpoints,
    /// <summary>The per-example losses a trainer recorded each epoch (RUN/training_dynamics.jsonl); no forward passes.</summary>
    TrainingDynamics,
    /// <summary>The data file alone; no model.</summary>
    DataOnly,
}

public static class ScoreInputRules
{
    /// <summary>Whether the method runs model passes over the data (<see cref="ScoreJob"/>).</summary>
    public static bool RunsModels(this ScoreInputs inputs) => inputs is ScoreInputs.OneModel or ScoreInputs.BaseAndReference or ScoreInputs.Checkpoints;

    /// <summary>Checks the model folders given for <paramref name="inputs"/>: their number, and what several of them must share.</summary>
    public static void CheckModels(this ScoreInputs inputs, IReadOnlyList<string> models)
    {
        int expected = inputs switch { ScoreInputs.OneModel => 1, ScoreInputs.BaseAndReference => 2, ScoreInputs.Checkpoints => -1, _ => 0 };
        if (expected >= 0 && models.Count != expected) throw new ArgumentException($"{inputs} scoring takes {expected} model(s), got {models.Count}");
        if (inputs == ScoreInputs.Checkpoints && models.Count < CheckpointConfidence.MinimumCheckpoints)
            throw new SiftException($"confidence scoring got {models.Count} checkpoint folder(s) ({string.Join(", ", models)}); " +
                                    $"Cartography's variability (and any average over checkpoints) needs at least {CheckpointConfidence.MinimumCheckpoints}: " +
                                    "list two or more with --checkpoints, or train the reference with output.confidence_checkpoints ≥ 2 and pass --run");
        var distinct = models.Distinct().ToList();
        if (distinct.Count > 1)
            ModelCompatibility.Check(distinct, inputs == ScoreInputs.Checkpoints
                ? "confidence needs checkpoints of one training run"
                : "the reference must be the base model fine-tuned, with the same tokenizer, so both score the same tokens");
    }
}
