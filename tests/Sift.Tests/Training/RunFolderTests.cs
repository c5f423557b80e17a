using System.Text.Json.Nodes;
using Sift.Models;
using Sift.Reports;
using Sift.Scoring;
using Sift.Training;
using Sift.Training.Lora;
using Sift.Training.Recipes;
using static Sift.Tests.Training.TrainCliTests;

namespace Sift.Tests.Training;

/// <summary>RunFolder names everything `sift train` leaves, and reads each of it back; --overwrite removes exactly what it marks.</summary>
public class RunFolderTests
{
    /// <summary>A run that leaves every file the trainer writes: LoRA, held-out data, confidence snapshots, dynamics, and a resume.</summary>
    private static readonly string[] Everything =
    [
        "--set", "schedule.max_steps=4", "--set", "output.save_steps=2", "--set", "lora.r=2", "--set", "data.eval_fraction=0.25",
        "--set", "output.confidence_checkpoints=2", "--set", "output.record_dynamics=true", "--set", "data.max_length=200",
    ];

    private static (string Model, string Data, RunFolder Run) TrainEverything()
    {
        var (model, data) = Fixture();
        var run = new RunFolder(Path.Combine(TrainerFixtures.TempDir(), "out"));
        var (code, _, err) = CliRunner.Run(Args(model, data, run.Dir, Everything));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(Args(model, data, run.Dir,
            [.. Everything, "--resume", Path.Combine(run.CheckpointsDir, "checkpoint-2"), "--set", "optimizer.learning_rate=5e-4"]));
        Assert.True(code == 0, err);
        return (model, data, run);
    }

    [Fact]
    public void EveryArtifactOfATrainedRunReadsBackThroughRunFolder()
    {
        var (model, data, run) = TrainEverything();

        // The trainer writes nothing RunFiles does not name, and every entry that is the trainer's is there.
        var names = Directory.EnumerateFileSystemEntries(run.Dir).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(RunFiles.All.Where(e => e != RunFiles.Eval && e != RunFiles.DynamicsScores).Select(e => e.Name).Order(), names.Order());

        var recipe = RunRecipe.Read(run);
        Assert.Equal(File.ReadAllText(run.RecipePath), recipe.ToYaml());
        Assert.Equal(5e-4, recipe.Training.LearningRate);
        Assert.Equal(200, recipe.Data.Tokenization.MaxLength);
        Assert.Equal(2, recipe.Lora!.R);

        var summary = TrainingDataSummary.TryRead(run)!;
        Assert.Equal(24, summary.TrainExamples + summary.EvalExamples);
        Assert.True(summary.EvalExamples > 0);

        var snapshots = ConfidenceList.Folders(run);
        Assert.Equal([Path.Combine(run.ConfidenceDir, "checkpoint-2"), Path.Combine(run.ConfidenceDir, "checkpoint-4")], snapshots);
        foreach (var snapshot in snapshots) ModelFolder.Load(snapshot).Dispose();
        ModelFolder.Load(run.ModelDir).Dispose();
        Assert.Equal(model, AdapterFolder.BaseModel(run.AdapterDir));
        Assert.Equal([2L, 4L], new CheckpointStore(run.Dir, keep: 2).List().Select(c => c.Step));

        // Steps 3 and 4 were trained twice; the resume dropped the first records of them.
        var dynamics = TrainingDynamics.Read(run.DynamicsPath, out bool torn);
        Assert.False(torn);
        Assert.Equal([1L, 2L, 3L, 4L], dynamics.Select(r => r.Step).Distinct().Order());
        Assert.Equal(dynamics.Count, dynamics.Select(r => (r.Step, r.Id)).Distinct().Count());
        Assert.Equal(4, RunHistory.Read(run.Dir).Steps);
        var resume = JsonNode.Parse(File.ReadAllLines(run.ResumeHistoryPath).Single())!;
        Assert.Equal(2, resume["step"]!.GetValue<long>());
        Assert.NotEmpty(Directory.EnumerateFiles(run.TensorBoardDir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void OverwriteRemovesExactlyTheEntriesMarkedDelete()
    {
        var run = new RunFolder(Paths.NewTempDir("sift-run"));
        foreach (var entry in RunFiles.All.Append(new RunEntry("notes.txt", RunEntryKind.File, OnOverwrite.Kept)))
        {
            var path = run.PathOf(entry);
            if (entry.Kind == RunEntryKind.Folder) { Directory.CreateDirectory(path); File.WriteAllText(Path.Combine(path, "x"), "x"); }
            else File.WriteAllText(entry.Kind == RunEntryKind.ScoreStem ? path + ".jsonl" : path, entry.Name);
        }
        run.RemovePreviousRun();
        var left = Directory.EnumerateFileSystemEntries(run.Dir).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(new[] { ".sift.lock", "dynamics_scores.jsonl", "eval", "metrics.jsonl", "notes.txt", "sift_recipe.yaml", "training_data.json" }
            .Order(), left);
    }

    [Fact]
    public void TrainOverwriteLeavesNothingOfThePreviousRunButWhatItRewritesOrKeeps()
    {
        var (model, data, run) = TrainEverything();
        Directory.CreateDirectory(run.EvalDir);
        File.WriteAllText(Path.Combine(run.EvalDir, "notes.txt"), "kept");

        var (code, _, err) = CliRunner.Run(Args(model, data, run.Dir, "--set", "schedule.max_steps=2", "--overwrite"));
        Assert.True(code == 0, err);
        var names = Directory.EnumerateFileSystemEntries(run.Dir).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(new[] { "checkpoints", ".sift.lock", "eval", "metrics.jsonl", "model", "runs", "sift_recipe.yaml", "training_data.json" }.Order(), names);
        Assert.Null(RunRecipe.Read(run).Lora);
        Assert.Equal([1L, 2L], new CheckpointStore(run.Dir, keep: 2).List().Select(c => c.Step));
        Assert.Equal(2, RunHistory.Read(run.Dir).Steps);
    }
}
