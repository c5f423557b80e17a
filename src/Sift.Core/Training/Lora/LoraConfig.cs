using System.Text.RegularExpressions;
using Sift.Config;

namespace Sift.Training.Lora;

/// <summary>
/// LoRA settings with PEFT's meanings: rank r, lora_alpha, lora_dropout, target_modules (projection
/// names such as q_proj, "all-linear", or PEFT's regular-expression form), bias "none" only.
/// Defaults follow LLaMA-Factory: r 8, alpha 2r, no dropout, every linear projection.
/// </summary>
public sealed record LoraConfig
{
    public const string AllLinear = "all-linear";

    /// <summary>The Llama-family projections LoRA can adapt (the LM head is never adapted, as in PEFT's all-linear).</summary>
    public static readonly string[] LinearModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public int R { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; }

    /// <summary>Projection names or module-path suffixes (PEFT matches a name equal to, or ending in ".", an entry), or ["all-linear"].</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [AllLinear];

    /// <summary>PEFT's string form of target_modules: a regular expression the whole module path must match. Overrides <see cref="TargetModules"/>.</summary>
    public string? TargetPattern { get; init; }

    public string Bias { get; init; } = "none";

    /// <summary>Rank-stabilized LoRA: scale by alpha / √r instead of alpha / r.</summary>
    public bool UseRslora { get; init; }

    public double Scaling => UseRslora ? Alpha / Math.Sqrt(R) : Alpha / R;

    /// <summary>The ranges of <see cref="Alpha"/> and <see cref="Dropout"/>; the recipe keys lora.lora_alpha and lora.lora_dropout check the same ones.</summary>
    public static readonly ValueRange<double> AlphaRange = Ranges.FinitePositive;
    public static readonly ValueRange<double> DropoutRange = Ranges.BelowOne;

    /// <summary>
    /// Throws a <see cref="SiftException"/> naming the setting and the fix: by its recipe key (lora.lora_alpha) for options
    /// built in code, or by its field after <paramref name="source"/>, the adapter_config.json it was read from.
    /// </summary>
    public void Validate(string? source = null)
    {
        var prefix = source == null ? "lora." : source + ": ";
        if (R <= 0) throw new SiftException($"{prefix}r must be a positive integer (the adapter rank, typically 8 to 64), got {R}");
        AlphaRange.Check(prefix + "lora_alpha", Alpha);
        DropoutRange.Check(prefix + "lora_dropout", Dropout);
        if (Bias != "none") throw new SiftException($"{prefix}bias '{Bias}' is not supported; use bias: none (biases stay frozen)");
        if (TargetPattern != null)
        {
            try { _ = new Regex(TargetPattern); }
            catch (ArgumentException e) { throw new SiftException($"{prefix}target_modules '{TargetPattern}' is not a valid regular expression ({e.Message})"); }
            return;
        }
        if (TargetModulesProblem(TargetModules) is { } problem) throw new SiftException(prefix + problem);
    }

    /// <summary>What is wrong with a target_modules list ("target_modules is empty; ..."), or null when LoRA can adapt it.</summary>
    public static string? TargetModulesProblem(IReadOnlyList<string> targets)
    {
        if (targets.Count == 0) return $"target_modules is empty; list projections ({string.Join(", ", LinearModules)}) or use {AllLinear}";
        if (targets.Contains(AllLinear) && targets.Count > 1)
            return $"target_modules mixes '{AllLinear}' with other names; use '{AllLinear}' alone or list the projections";
        var unknown = targets.FirstOrDefault(t => t != AllLinear && !LinearModules.Any(m => t == m || t.EndsWith("." + m)));
        return unknown == null ? null
            : $"target_modules entry '{unknown}' is not a projection LoRA can adapt; use {string.Join(", ", LinearModules)} or {AllLinear}";
    }

    /// <summary>Whether the projection at <paramref name="modulePath"/> ("model.layers.0.self_attn.q_proj") is adapted.</summary>
    public bool Targets(string modulePath)
    {
        if (TargetPattern != null) return Regex.IsMatch(modulePath, $"^(?:{TargetPattern})$");
        return TargetModules.Any(t => t == AllLinear
            ? LinearModules.Any(m => modulePath.EndsWith("." + m))
            : modulePath == t || modulePath.EndsWith("." + t));
    }
}
