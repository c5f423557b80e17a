namespace Sift.Training;

/// <summary>
/// The settings a checkpoint was made with, by recipe key (optimizer.learning_rate, data.train, ...),
/// and what may differ when a run resumes from it: the optimizer's settings and the learning-rate
/// schedule's, which the advice after a divergence asks to change, and the device (a run may move to a
/// GPU and back; only the rounding differs). Everything else decides which examples are seen in which
/// order, or the model, so it must match.
/// </summary>
public static class ResumeSettings
{
    public static readonly IReadOnlySet<string> Adjustable = new HashSet<string>(StringComparer.Ordinal)
    {
        "optimizer.learning_rate", "optimizer.weight_decay", "optimizer.adam_beta1", "optimizer.adam_beta2", "optimizer.adam_epsilon",
        "optimizer.max_grad_norm", "schedule.lr_scheduler_type", "schedule.warmup_ratio", "schedule.warmup_steps", "device",
    };

    /// <summary>One setting whose value differs between the checkpoint and now (null: not set on that side).</summary>
    public readonly record struct Difference(string Key, string? Saved, string? Now)
    {
        public override string ToString() => $"{Key} {Saved ?? "(unset)"} -> {Now ?? "(unset)"}";
    }

    /// <summary>The differences, split into those allowed on resume and those that refuse it.</summary>
    public static (List<Difference> Allowed, List<Difference> Refused) Compare(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> now)
    {
        var allowed = new List<Difference>();
        var refused = new List<Difference>();
        foreach (var key in saved.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            var a = saved.GetValueOrDefault(key);
            var b = now.GetValueOrDefault(key);
            if (a == b) continue;
            (Adjustable.Contains(key) ? allowed : refused).Add(new Difference(key, a, b));
        }
        return (allowed, refused);
    }

    /// <summary>Refuses a resume whose settings differ beyond <see cref="Adjustable"/>, naming every differing key; returns the allowed changes.</summary>
    /// <param name="legacySignature">The run signature, for checkpoints written before settings were recorded.</param>
    public static List<Difference> Check(TrainerState state, IReadOnlyDictionary<string, string> now, string legacySignature, string checkpoint)
    {
        if (state.Settings == null)
        {
            if (state.RunSignature == legacySignature) return [];
            throw new SiftException($"{checkpoint}: this checkpoint was made with different settings or data (it predates per-setting records, so " +
                                    "they cannot be named); resume with the same config, or train into a new output_dir");
        }
        var (allowed, refused) = Compare(state.Settings, now);
        if (refused.Count > 0)
            throw new SiftException($"{checkpoint}: this checkpoint was made with different settings: {string.Join(", ", refused)}. " +
                                    "These decide which examples are seen or the model, so the run cannot continue with them: resume with the " +
                                    "checkpoint's values, or train into a new output_dir. Only optimizer.*, the schedule's learning-rate " +
                                    "settings (lr_scheduler_type, warmup_ratio, warmup_steps) and the device may change on resume.");
        return allowed;
    }

    /// <summary>Flattens a recipe as <c>TrainRecipe.ToYaml</c> writes it: "key: value", or "section:" then "  key: value".</summary>
    public static Dictionary<string, string> FromYaml(string yaml)
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        string? section = null;
        foreach (var line in yaml.Split('\n'))
        {
            if (line.Trim().Length == 0) continue;
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            bool nested = char.IsWhiteSpace(line[0]);
            if (!nested && value.Length == 0) { section = key; continue; }
            if (!nested) section = null;
            flat[nested && section != null ? $"{section}.{key}" : key] = value;
        }
        return flat;
    }
}
