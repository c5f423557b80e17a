using Sift.Tests.Distributed;

namespace Sift.Tests.Pipeline;

/// <summary>A pipeline stage running `sift train` from a recipe YAML: keyed on the files the recipe names, and resumed after a kill.</summary>
public class TrainStageTests
{
    private sealed record Fixture(string Dir, string Data, string Pipeline)
    {
        public string RunDir => Path.Combine(Dir, "run");

        public (int Code, string Stdout, string Stderr) Run(params string[] extra) => CliRunner.Run(["pipeline", Pipeline, .. extra]);

        public string OutputOf(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("ref\t")).Split('\t')[2].Trim();
    }

    private static Fixture Create(int steps = 6, int saveSteps = 1)
    {
        var dir = Paths.NewTempDir("sift-pipe-train");
        var (model, data) = Training.TrainCliTests.Fixture();
        var recipe = Path.Combine(dir, "train.yaml");
        File.WriteAllText(recipe, $"""
            model: "{model}"
            data:
              train: "{data}"
              max_length: 64
            optimizer:
              learning_rate: 0.001
            schedule:
              max_steps: {steps}
              per_device_train_batch_size: 4
            output:
              save_steps: {saveSteps}
              save_total_limit: 10
            """);
        var pipeline = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(pipeline, $$"""
            run_dir: "{{dir}}/run"
            stages:
              ref:
                command: [train, "{{recipe}}", --output-dir, "${out}"]
            """);
        return new Fixture(dir, data, pipeline);
    }

    /// <summary>Turns a finished train stage back into what a kill after checkpoint <paramref name="keep"/> leaves: checkpoints up to it, no final model, no completion record.</summary>
    private static string Interrupt(string output, int keep)
    {
        var work = output + ".partial";
        Directory.Move(output, work);
        File.Delete(Path.Combine(work, "stage.json"));
        Directory.Delete(Path.Combine(work, "model"), recursive: true);
        foreach (var c in Directory.GetDirectories(Path.Combine(work, "checkpoints")).Where(c => int.Parse(Path.GetFileName(c).Split('-')[1]) > keep))
            Directory.Delete(c, recursive: true);
        return work;
    }

    [Fact]
    public void EditingTheDataFileTheRecipeNamesRerunsTheStage()
    {
        var f = Create();
        var (code, stdout, stderr) = f.Run();
        Assert.True(code == 0, stderr);
        Assert.Contains("ref\tran", stdout);
        Assert.Contains("ref\tcached", f.Run("--dry-run").Stdout);

        var original = File.ReadAllText(f.Data);
        File.AppendAllText(f.Data, "{\"instruction\": \"Count from 90 to 93.\", \"input\": \"\", \"output\": \"90 91 92 93\"}\n");
        Assert.Contains("ref\tplanned", f.Run("--dry-run").Stdout);
        File.WriteAllText(f.Data, original);
        Assert.Contains("ref\tcached", f.Run("--dry-run").Stdout);
    }

    [Fact]
    public void AKilledTrainStageResumesFromItsCheckpointAndStartsFreshOnlyWhenItsInputsChanged()
    {
        var f = Create();
        var (code, stdout, stderr) = f.Run();
        Assert.True(code == 0, stderr);
        var output = f.OutputOf(stdout);
        var straight = File.ReadAllBytes(Path.Combine(output, "model", "model.safetensors"));

        var work = Interrupt(output, keep: 2);
        (code, stdout, stderr) = f.Run();
        Assert.True(code == 0, stderr);
        Assert.Contains("ref\tran", stdout);
        Assert.Equal(output, f.OutputOf(stdout));
        Assert.Contains($"continuing the interrupted run in {work}", stderr);
        Assert.Contains("resumed from " + Path.Combine(work, "checkpoints", "checkpoint-2"), stderr);
        Assert.Equal(straight, File.ReadAllBytes(Path.Combine(output, "model", "model.safetensors")));

        work = Interrupt(output, keep: 2);
        File.AppendAllText(f.Data, "{\"instruction\": \"Count from 90 to 93.\", \"input\": \"\", \"output\": \"90 91 92 93\"}\n");
        (code, stdout, stderr) = f.Run();
        Assert.True(code == 0, stderr);
        Assert.Contains($"inputs changed since the interrupted run in {work}: starting fresh", stderr);
        Assert.DoesNotContain("resumed from", stderr);
        Assert.NotEqual(output, f.OutputOf(stdout));
        Assert.True(Directory.Exists(Path.Combine(work, "checkpoints", "checkpoint-2")), "the other run's checkpoints are kept");
    }

    /// <summary>
    /// SIGTERM to `sift pipeline` reaches the running train stage through the pipeline's stop token (the stage's job
    /// is called in process, not through a nested command line): the stage saves a checkpoint at its next step, the
    /// pipeline says how to go on and exits 143, and nothing is recorded as finished.
    /// </summary>
    [Fact]
    public void SigtermStopsATrainStageWithACheckpointAndThePipelineWithTheSignalsCode()
    {
        var f = Create(steps: 1000, saveSteps: 1000);
        using var job = new SiftJobs.Job(SiftJobs.Alone(["pipeline", f.Pipeline]));
        string? Work() => Directory.Exists(f.RunDir) ? Directory.GetDirectories(f.RunDir, "ref-*.partial").SingleOrDefault() : null;
        bool Stepped(int steps) => Work() is { } w && File.Exists(Path.Combine(w, "metrics.jsonl")) &&
                                  File.ReadLines(Path.Combine(w, "metrics.jsonl")).Count(l => l.Contains("\"step\"")) >= steps;
        Assert.True(job.WaitUntil(() => Stepped(3)), $"the train stage did not reach step 3 (exit code {(job.Process.HasExited ? job.Process.ExitCode : "none")}):\n{job.Output}");
        Assert.Equal(0, kill(job.Process.Id, Sigterm));
        Assert.Equal(128 + Sigterm, job.Wait());
        Assert.Contains("SIGTERM: stopping the pipeline", job.Output);
        Assert.Contains("pipeline stopped after", job.Output);
        var work = Work()!;
        Assert.NotEmpty(Directory.GetDirectories(Path.Combine(work, "checkpoints"), "checkpoint-*"));
        Assert.False(File.Exists(Path.Combine(work, "stage.json")), "a stopped stage is not finished");
        Assert.Contains("ref\tplanned", f.Run("--dry-run").Stdout);
    }

    private const int Sigterm = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
