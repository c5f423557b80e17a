using Sift.Config;
using Sift.Training.Recipes.Schema;
using Objective = Sift.Training.Objectives.ObjectiveDefinition<Sift.Training.Objectives.NeftuneOptions?>;

namespace Sift.Training.Objectives;

/// <summary>
/// objective.name ntp and neftune: <see cref="NextTokenObjective"/>, with NEFTune noise when its settings
/// (<see cref="NeftuneOptions"/>) are set: always for neftune (α = 5 by default), for ntp when
/// objective.neftune_noise_alpha is given.
/// </summary>
public static class NextTokenDefinitions
{
    private static readonly Dictionary<string, NeftuneLength> Lengths = new()
    {
        ["per_sequence"] = NeftuneLength.PerSequence, ["padded"] = NeftuneLength.Padded,
    };

    public static readonly ObjectiveDefinition Ntp = Define("ntp", "next-token prediction on the response tokens (docs/METHODS.md, NTP)", null);

    public static readonly ObjectiveDefinition Neftune = Define("neftune", "NTP with NEFTune noise on the input embeddings (docs/METHODS.md, NEFTune)", new NeftuneOptions(5));

    private static ObjectiveDefinition Define(string name, string doc, NeftuneOptions? initial) =>
        new ObjectiveDefinition<NeftuneOptions?>(name, doc, initial, (noise, inputs) => new NextTokenObjective(noise, inputs.GroupByLength))
        {
            OwnKeys =
            [
                Objective.Key("neftune_noise_alpha", KeyTypes.Optional(KeyTypes.Number), _ => initial?.Alpha,
                    "NEFTune's α: noise α/√(L·d) on the input embeddings (with ntp, setting it turns the noise on)",
                    s => s?.Alpha, (s, v) => v is double alpha ? (s ?? new NeftuneOptions(alpha)) with { Alpha = alpha } : s)
                with
                {
                    Range = Ranges.Optional(Ranges.FinitePositive), Write = WritePolicy.WhenSet,
                },
                Objective.Key("neftune_length", KeyTypes.Choice(Lengths, l => Lengths.First(n => n.Value == l).Key), _ => NeftuneLength.PerSequence,
                    "The length L in NEFTune's scale: per_sequence (each example's own) or padded (the padded row, as transformers/TRL)",
                    s => s!.Length, (s, v) => s! with { Length = v })
                with
                {
                    Present = r => r.Objective.Settings != null,
                },
            ],
        };
}
