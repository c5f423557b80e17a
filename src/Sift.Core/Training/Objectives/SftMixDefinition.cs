using Sift.Config;
using Sift.Training.Recipes.Schema;
using Objective = Sift.Training.Objectives.ObjectiveDefinition<Sift.Training.Objectives.SftMixSection>;

namespace Sift.Training.Objectives;

/// <summary>SFTMix (docs/METHODS.md, SFTMix): the confident and unconfident halves (data files, e.g. from `sift select --preset sftmix`) and the mixup term.</summary>
public sealed record SftMixSection(string Confident, string Unconfident, SftMixOptions Options);

/// <summary>objective.name sftmix: <see cref="SftMixObjective"/> on its two halves, which replace data.train.</summary>
public static class SftMixDefinition
{
    private const string HalfHint = "a data file (e.g. from `sift select --preset sftmix`)";

    private static readonly Dictionary<string, bool> Pairings = new() { ["random"] = false, ["length"] = true };

    public static readonly ObjectiveDefinition Definition = new ObjectiveDefinition<SftMixSection>(
        "sftmix", "NTP plus a mixup term between confident and unconfident examples (docs/METHODS.md, SFTMix)",
        new SftMixSection("", "", new SftMixOptions()),
        (s, inputs) => new SftMixObjective(inputs.Files[0].Select(e => e.Id).ToHashSet(), s.Options))
    {
        Files = s => [("objective.confident", s.Confident), ("objective.unconfident", s.Unconfident)],
        LoggingShapes = s => s.Options.DiagnosticSteps > 0,
        OwnKeys =
        [
            Objective.Key("confident", KeyTypes.Quoted, _ => null, "The confident half, " + HalfHint, s => s.Confident, (s, v) => s with { Confident = v! })
            with
            {
                Required = "the confident half, " + HalfHint, Input = InputKind.DataFile,
            },
            Objective.Key("unconfident", KeyTypes.Quoted, _ => null, "The unconfident half, " + HalfHint, s => s.Unconfident, (s, v) => s with { Unconfident = v! })
            with
            {
                Required = "the unconfident half, " + HalfHint, Input = InputKind.DataFile,
            },
            Option("mixup_alpha", KeyTypes.Number, 0.5, "α of each pair's mixing weight λ ~ Beta(α, α)", o => o.Alpha, (o, v) => o with { Alpha = v }, Ranges.Positive),
            Option("mixup_weight", KeyTypes.Number, 0.2, "μ, the weight of the mixup term", o => o.Mu, (o, v) => o with { Mu = v }, Ranges.FiniteNonNegative),
            Option("pairing", KeyTypes.Choice(Pairings, byLength => byLength ? "length" : "random"), false,
                "How confident and unconfident examples pair up: random, or length (similar response lengths)", o => o.PairByLength, (o, v) => o with { PairByLength = v }),
            Option("diagnostic_steps", KeyTypes.Long, 10L, "About every N steps (on logged steps) also log each term's gradient norm and their cosine; 0 = never",
                o => o.DiagnosticSteps, (o, v) => o with { DiagnosticSteps = v }, Ranges.AtLeast(0L)),
            Option("ntp_weight", KeyTypes.Number, 1.0, "w_ntp in w_ntp·NTP + μ·mixup (0 with mixup_weight > 0 trains on the mixup term alone)",
                o => o.NtpWeight, (o, v) => o with { NtpWeight = v }, Ranges.FiniteNonNegative, WritePolicy.WhenNotDefault),
            Option("mixup_detach_hidden", KeyTypes.Flag, false, "The mixup term's gradient reaches the LM head only, not the transformer body (needs lora.r: 0)",
                o => o.DetachMixupHidden, (o, v) => o with { DetachMixupHidden = v }, write: WritePolicy.WhenNotDefault),
        ],
    };

    private static RecipeKey<T> Option<T>(string name, KeyType<T> type, T fallback, string doc, Func<SftMixOptions, T> get, Func<SftMixOptions, T, SftMixOptions> set,
        ValueRange<T>? range = null, WritePolicy write = WritePolicy.Always) =>
        Objective.Key(name, type, _ => fallback, doc, s => get(s.Options), (s, v) => s with { Options = set(s.Options, v) }) with { Range = range, Write = write };
}
