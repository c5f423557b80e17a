using System.Security.Cryptography;
using System.Text;
using Sift.Data;
using Sift.Tests.Training;
using Sift.Training;
using Sift.Training.Recipes;
using Sift.Training.Recipes.Schema;
using static Sift.Tests.Recipes.RecipeKeySamples;

namespace Sift.Tests.Recipes;

/// <summary>
/// The resume settings a checkpoint records and a resumed run must match: from the schema's typed values,
/// as checkpoints since per-key settings have spelled them, plus a hash of the token data streamed a line at a time.
/// </summary>
public class ResumeSignatureTests
{
    /// <summary>The keys checkpoints left out before the schema marked them (ResumeRole.Ignored), logging_steps unless SFTMix diagnostics run.</summary>
    private static readonly string[] NotShapingTheRun = ["output.output_dir", "output.save_steps", "output.save_total_limit", "output.save_dtype", "eval.eval_steps"];

    public static TheoryData<string, string, string[]> KeySamples
    {
        get
        {
            var data = new TheoryData<string, string, string[]>();
            foreach (var (key, value, _, with) in All) data.Add(key, value, with);
            return data;
        }
    }

    private static (List<ResumeSettings.Difference> Allowed, List<ResumeSettings.Difference> Refused) Differences(TrainRecipe saved, TrainRecipe now) =>
        ResumeSignature.Of(now, []).Compare(ResumeSignature.Of(saved, []).Values);

    [Theory]
    [InlineData("lora.r=8", "objective.name=neftune", "data.eval=heldout.jsonl")]
    [InlineData("objective.name=sftmix", "objective.confident=c.jsonl", "objective.unconfident=u.jsonl", "data.train=", "output.logging_steps=5")]
    [InlineData("objective.name=sftmix", "objective.confident=c.jsonl", "objective.unconfident=u.jsonl", "data.train=", "objective.diagnostic_steps=0")]
    [InlineData("data.limit=5", "precision.dtype=bf16", "precision.master_weights=false", "objective.neftune_noise_alpha=2")]
    public void TheSettingsAreTheResolvedRecipesValuesLessTheKeysThatDoNotShapeTheRun(params string[] sets)
    {
        var recipe = Bind(sets);
        // Read from the text, as checkpoints before the schema recorded them (the text is pinned by TrainLimitTests).
        var expected = Flatten(recipe.ToYaml());
        foreach (var key in NotShapingTheRun) expected.Remove(key);
        if (recipe.Objective.Settings is not Sift.Training.Objectives.SftMixSection { Options.DiagnosticSteps: > 0 }) expected.Remove("output.logging_steps");
        Assert.Equal(expected.OrderBy(kv => kv.Key), ResumeSignature.Settings(recipe).OrderBy(kv => kv.Key));
        Assert.Equal(expected.OrderBy(kv => kv.Key), ResumeSignature.Settings(Bind(sets)).OrderBy(kv => kv.Key)); // the same recipe, the same settings
    }

    [Theory]
    [MemberData(nameof(KeySamples))]
    public void ChangingAKeyThatShapesTheRunChangesTheSettingsAndOnlyOptimizerAndScheduleKeysMayChangeOnResume(string key, string value, string[] with)
    {
        var (allowed, refused) = Differences(Bind(with), Bind([.. with, $"{key}={value}"]));
        var changed = allowed.Concat(refused).Select(d => d.Key).ToList();
        var role = SchemaKeys.First(k => k.Path == key).Resume;
        if (role is ResumeRole.Ignored or ResumeRole.MatchWhenLoggingShapesUpdates)
        {
            Assert.Empty(changed); // none of these samples runs SFTMix with diagnostics
            return;
        }
        Assert.Contains(key, changed);
        bool adjustable = key.StartsWith("optimizer.") || key is "schedule.lr_scheduler_type" or "schedule.warmup_ratio" or "schedule.warmup_steps";
        Assert.Equal(adjustable ? [] : [key], refused.Select(d => d.Key).Where(k => k == key));
        Assert.Equal(adjustable ? [key] : [], allowed.Select(d => d.Key));
    }

    [Fact]
    public void LoggingStepsMatterOnlyWhenSftMixRunsGradientDiagnostics()
    {
        string[] sftmix = ["objective.name=sftmix", "objective.confident=c.jsonl", "objective.unconfident=u.jsonl", "data.train="];
        Assert.Equal(["output.logging_steps"], Differences(Bind(sftmix), Bind([.. sftmix, "output.logging_steps=5"])).Refused.Select(d => d.Key));
        Assert.Empty(Differences(Bind([.. sftmix, "objective.diagnostic_steps=0"]), Bind([.. sftmix, "objective.diagnostic_steps=0", "output.logging_steps=5"])).Refused);
        Assert.Empty(Differences(Bind(), Bind("output.logging_steps=5")).Refused);
    }

    [Fact]
    public void TheTokenDataHashIsTheHashOfEveryExampleLine()
    {
        TokenizedExample[] examples =
        [
            new("a", [1, 20, 300], [false, true, true]),
            new("éx-2", [123456789], [true]),
            new("3", [0, 7], [false, false]),
        ];
        // The old form, built whole: "ID:T1,T2,...:MASK\n" per example.
        var text = new StringBuilder();
        foreach (var e in examples)
            text.Append(e.Id).Append(':').AppendJoin(',', e.Tokens).Append(':').Append(string.Concat(e.Trained.Select(t => t ? '1' : '0'))).Append('\n');
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))), ResumeSignature.DataHash(examples));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([])), ResumeSignature.DataHash([]));
        Assert.NotEqual(ResumeSignature.DataHash(examples), ResumeSignature.DataHash(examples.Reverse()));
        Assert.Equal(ResumeSignature.DataHash(examples), ResumeSignature.Of(Bind(), examples).Values[ResumeSignature.DataKey]);
    }

    [Fact]
    public void ACheckpointWithoutRecordedSettingsIsRefusedWithWhatToDo()
    {
        var path = Path.Combine(TrainerFixtures.TempDir(), "trainer_state.json");
        File.WriteAllText(path, """{"global_step": 2, "epoch": 0, "total_steps": 4, "steps_per_epoch": 4, "run_signature": "0123abcd", "objective": "ntp"}""");
        var state = TrainerState.Read(path);
        var e = Assert.Throws<SiftException>(() => ResumeSignature.Of(Bind(), []).Check(state, "out/checkpoints/checkpoint-2"));
        Assert.StartsWith("out/checkpoints/checkpoint-2: this checkpoint was written by a Sift version from before checkpoints recorded their settings", e.Message);
        Assert.Contains("train into a new output_dir (or start over with --overwrite)", e.Message);
    }
}
