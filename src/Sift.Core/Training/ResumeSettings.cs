namespace Sift.Training;

/// <summary>
/// The settings a run is made with, by recipe key (optimizer.learning_rate, data.train, ..., and
/// "data.examples", a hash of the token data), as checkpoints record them, and which of them may
/// differ when a run resumes: <paramref name="Adjustable"/>, the optimizer's settings and the
/// learning-rate schedule's, which the advice after a divergence asks to change, and the device (a run may
/// move to a GPU and back; only the rounding differs). Everything else
/// decides which examples are seen in which order, or the model, so it must match.
/// </summary>
public sealed record ResumeSettings(IReadOnlyDictionary<string, string> Values, IReadOnlySet<string> Adjustable)
{
    /// <summary>No settings: a trainer run outside a recipe, whose checkpoints resume only with none either.</summary>
    public static readonly ResumeSettings None = new(new Dictionary<string, string>(), new HashSet<string>());

    /// <summary>One setting whose value differs between the checkpoint and now (null: not set on that side).</summary>
    public readonly record struct Difference(string Key, string? Saved, string? Now)
    {
        public override string ToString() => $"{Key} {Saved ?? "(unset)"} -> {Now ?? "(unset)"}";
    }

    /// <summary>The differences from <paramref name="saved"/>, split into those allowed on resume and those that refuse it.</summary>
    public (List<Difference> Allowed, List<Difference> Refused) Compare(IReadOnlyDictionary<string, string> saved)
    {
        var allowed = new List<Difference>();
        var refused = new List<Difference>();
        foreach (var key in saved.Keys.Union(Values.Keys).Order(StringComparer.Ordinal))
        {
            var a = saved.GetValueOrDefault(key);
            var b = Values.GetValueOrDefault(key);
            if (a == b) continue;
            (Adjustable.Contains(key) ? allowed : refused).Add(new Difference(key, a, b));
        }
        return (allowed, refused);
    }

    /// <summary>Refuses a resume from a checkpoint whose settings differ beyond <see cref="Adjustable"/>, naming every differing key; returns the allowed changes.</summary>
    public List<Difference> Check(TrainerState state, string checkpoint)
    {
        if (state.Settings == null)
            throw new SiftException($"{checkpoint}: this checkpoint was written by a Sift version from before checkpoints recorded their settings, " +
                                    "so whether this run has the same settings and data cannot be checked; finish it with the Sift version that " +
                                    "wrote it, or train into a new output_dir (or start over with --overwrite)");
        var (allowed, refused) = Compare(state.Settings);
        if (refused.Count > 0)
            throw new SiftException($"{checkpoint}: this checkpoint was made with different settings: {string.Join(", ", refused)}. " +
                                    "These decide which examples are seen or the model, so the run cannot continue with them: resume with the " +
                                    "checkpoint's values, or train into a new output_dir. Only optimizer.*, the schedule's learning-rate " +
                                    "settings (lr_scheduler_type, warmup_ratio, warmup_steps) and the device may change on resume.");
        return allowed;
    }
}
