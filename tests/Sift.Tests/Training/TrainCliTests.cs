using System.Diagnostics;
using Sift.Models;

namespace Sift.Tests.Training;

/// <summary>`sift train` end to end on files: recipe handling, errors, and resume after SIGKILL or SIGTERM.</summary>
public class TrainCliTests
{
    private static readonly string Tokenizer = Paths.Asset("models", "stories260K-hf");

    /// <summary>A random 512-vocab model with the stories260K tokenizer, and 24 Alpaca-style records.</summary>
    internal static (string Model, string Data) Fixture()
    {
        var dir = TrainerFixtures.TempDir();
        var model = Path.Combine(dir, "base");
        using (var m = new CausalLM(ModelConfig.Create(vocabSize: 512, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4)))
        {
            m.InitializeWeights(1);
            ModelFolder.Save(m, model, Tokenizer);
        }
        var data = Path.Combine(dir, "data.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 24).Select(i =>
            $"{{\"instruction\": \"Count from {i} to {i + 3}.\", \"input\": \"\", \"output\": \"{i} {i + 1} {i + 2} {i + 3}\"}}"));
        return (model, data);
    }

    internal static string[] Args(string model, string data, string output, params string[] extra) =>
    [
        "train", "--model", model, "--data", data, "--output-dir", output,
        "--set", "schedule.max_steps=30", "--set", "schedule.per_device_train_batch_size=4", "--set", "optimizer.learning_rate=1e-3",
        "--set", "output.save_steps=1", "--set", "objective.name=neftune", .. extra,
    ];

    /// <summary>
    /// A child `sift train` stopped part-way, then resumed in-process, ends with the weights of an
    /// uninterrupted run. SIGKILL loses the step in flight (the run resumes from its last periodic
    /// checkpoint); SIGTERM, as Slurm and Kubernetes send, saves a checkpoint itself and exits 143.
    /// While the child runs, a second run into its folder is refused, naming the child.
    /// </summary>
    [Theory]
    [InlineData(Sigkill)]
    [InlineData(Sigterm)]
    public void StoppedRunResumesToTheSameWeights(int signal)
    {
        var (model, data) = Fixture();
        // Periodic checkpoints only where SIGKILL needs them: SIGTERM's checkpoint is then the signal's own.
        string[] settings = ["--set", "schedule.max_steps=1000", "--set", "output.logging_steps=1", "--set", "output.save_steps=1000"];
        string[] childSettings = [.. settings, "--set", $"output.save_steps={(signal == Sigkill ? 1 : 1000)}"];
        var straight = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(Args(model, data, straight, settings));
        Assert.True(code == 0, err);

        var stopped = Path.Combine(TrainerFixtures.TempDir(), "out");
        var sift = Path.Combine(AppContext.BaseDirectory, "sift.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])[sift, .. Args(model, data, stopped, childSettings)]) start.ArgumentList.Add(a);
        var childErr = new System.Text.StringBuilder();
        using (var process = Process.Start(start)!)
        {
            process.ErrorDataReceived += (_, e) => { lock (childErr) childErr.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            bool Started() { lock (childErr) return childErr.ToString().Contains("step 4/"); }
            while (!Started() && DateTime.UtcNow < deadline && !process.HasExited) Thread.Sleep(5);
            // Frozen while a second run tries the folder: otherwise a fast child (an idle machine, OpenMP
            // threads that no longer spin) can finish its last steps first, and the second run then resumes.
            Assert.True(kill(process.Id, Sigstop) == 0 && !process.HasExited, "the run finished before it could be stopped: " + childErr);

            (code, _, err) = CliRunner.Run(Args(model, data, stopped, [.. settings, "--resume"]));
            Assert.Equal(1, code);
            Assert.Contains($"{stopped} is in use by sift process {process.Id} (started ", err);

            if (signal == Sigkill) process.Kill(entireProcessTree: true);
            else
            {
                Assert.Equal(0, kill(process.Id, signal)); // pending until the child runs again
                Assert.Equal(0, kill(process.Id, Sigcont));
            }
            process.WaitForExit();
            Assert.Equal(128 + signal, process.ExitCode);
        }
        Assert.False(Directory.Exists(Path.Combine(stopped, "model")), "the run finished before it could be stopped");
        if (signal == Sigterm)
        {
            var stoppedAt = System.Text.RegularExpressions.Regex.Match(childErr.ToString(), @"interrupted at step (\d+)");
            Assert.True(stoppedAt.Success, childErr.ToString());
            Assert.Equal([$"checkpoint-{stoppedAt.Groups[1].Value}"], Directory.GetDirectories(Path.Combine(stopped, "checkpoints")).Select(Path.GetFileName));
        }

        (code, _, err) = CliRunner.Run(Args(model, data, stopped, [.. settings, "--resume"]));
        Assert.True(code == 0, err);
        Assert.Contains("resumed from", err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model", "model.safetensors")), File.ReadAllBytes(Path.Combine(stopped, "model", "model.safetensors")));
    }

    private const int Sigkill = 9, Sigterm = 15, Sigstop = 19, Sigcont = 18;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [Fact]
    public void SecondRunIntoTheSameFolderNeedsResumeOrOverwrite()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        Assert.Equal(0, CliRunner.Run(Args(model, data, output, "--set", "schedule.max_steps=2")).ExitCode);
        var (code, _, err) = CliRunner.Run(Args(model, data, output, "--set", "schedule.max_steps=2"));
        Assert.Equal(1, code);
        Assert.Contains("pass --resume to continue it, or --overwrite", err);
        Assert.Equal(0, CliRunner.Run(Args(model, data, output, "--set", "schedule.max_steps=2", "--overwrite")).ExitCode);
    }

    [Fact]
    public void ResumingWithAnotherLoggingStepsIsRefusedOnlyWhereItChangesTheUpdates()
    {
        // SFTMix's gradient diagnostics run on logged steps, so there logging_steps shapes the weights.
        var (model, data) = Fixture();
        var lines = File.ReadAllLines(data);
        var confident = Path.Combine(TrainerFixtures.TempDir(), "confident.jsonl");
        var unconfident = Path.Combine(TrainerFixtures.TempDir(), "unconfident.jsonl");
        File.WriteAllLines(confident, lines[..12]);
        File.WriteAllLines(unconfident, lines[12..]);
        string[] sftmix = ["--set", "objective.name=sftmix", "--set", $"objective.confident={confident}", "--set", $"objective.unconfident={unconfident}",
                           "--set", "data.train=", "--set", "objective.diagnostic_steps=1"];
        foreach (var (objective, refused) in new[] { (sftmix, true), (["--set", "objective.name=neftune"], false) })
        {
            var output = Path.Combine(TrainerFixtures.TempDir(), "out");
            var (code, _, err) = CliRunner.Run(Args(model, data, output, [.. objective, "--set", "schedule.max_steps=2"]));
            Assert.True(code == 0, err);
            (code, _, err) = CliRunner.Run(Args(model, data, output, [.. objective, "--set", "schedule.max_steps=2", "--set", "output.logging_steps=2", "--resume"]));
            Assert.True(refused ? code == 1 && err.Contains("made with different settings") : code == 0, err);
        }
    }

    [Fact]
    public void RecipeErrorsNameTheSettingAndTheFile()
    {
        var (model, data) = Fixture();
        var recipe = Path.Combine(TrainerFixtures.TempDir(), "recipe.yaml");
        File.WriteAllText(recipe, $"model: {model}\ndata:\n  train: {data}\noptimizer:\n  learnin_rate: 1e-4\noutput:\n  output_dir: /tmp/x\n");
        var (code, _, err) = CliRunner.Run("train", recipe);
        Assert.Equal(1, code);
        Assert.Contains($"{recipe}:5: unknown setting 'optimizer.learnin_rate'; did you mean 'optimizer.learning_rate'?", err);

        File.WriteAllText(recipe, $"model: {model}\ndata:\n  train: {data}\noptimizer:\n  learning_rate: fast\noutput:\n  output_dir: /tmp/x\n");
        (code, _, err) = CliRunner.Run("train", recipe);
        Assert.Equal(1, code);
        Assert.Contains($"{recipe}:5: optimizer.learning_rate: expected a number, got 'fast'", err);

        (code, _, err) = CliRunner.Run("train", recipe, "--set", "optimizer.learning_rate=-1");
        Assert.Equal(1, code);
        Assert.Contains("--set: optimizer.learning_rate: must be finite and > 0, got -1", err);
    }

    [Fact]
    public void TrainedModelGeneratesAndTheResolvedRecipeIsSaved()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, stdout, err) = CliRunner.Run(Args(model, data, output, "--set", "schedule.max_steps=3", "--set", "data.eval_fraction=0.2"));
        Assert.True(code == 0, err);
        Assert.Contains("eval_loss", stdout);
        Assert.Contains("learning_rate: 0.001", File.ReadAllText(Path.Combine(output, "sift_recipe.yaml")));
        (code, _, err) = CliRunner.Run("generate", "--model", Path.Combine(output, "model"), "--prompt", "Count", "--max-new-tokens", "4");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void LoraRunWritesAnAdapterAndTheMergedModel()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(Args(model, data, output, "--set", "schedule.max_steps=4", "--set", "lora.r=4",
            "--set", "lora.target_modules=q_proj,v_proj,down_proj", "--set", "precision.gradient_checkpointing=true"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(output, "adapter", "adapter_config.json")));
        var merged = Path.Combine(TrainerFixtures.TempDir(), "merged");
        (code, _, err) = CliRunner.Run("lora", "merge", "--model", model, "--adapter", Path.Combine(output, "adapter"), "--out", merged);
        Assert.True(code == 0, err);
        var a = Sift.Models.Safetensors.SafetensorsCheckpoint.Load(Path.Combine(output, "model"));
        var b = Sift.Models.Safetensors.SafetensorsCheckpoint.Load(merged);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        // Both are W + s·B·A in fp32 (a rank-r product and one addition): a few roundings of |w| < 2, < 1e-6;
        // an unmerged or wrongly scaled adapter differs by s·|B·A| (asserted nonzero below).
        foreach (var (name, t) in a) Assert.True(t.allclose(b[name], rtol: 0, atol: 1e-6), name);
        var baseWeights = Sift.Models.Safetensors.SafetensorsCheckpoint.Load(model);
        Assert.True(baseWeights["model.layers.0.mlp.up_proj.weight"].allclose(a["model.layers.0.mlp.up_proj.weight"], 0, 0));
        Assert.False(baseWeights["model.layers.0.self_attn.q_proj.weight"].allclose(a["model.layers.0.self_attn.q_proj.weight"], 0, 0));
    }

    [Fact]
    public void EmptyDataFileIsRefusedAsEmpty()
    {
        var (model, _) = Fixture();
        var empty = Path.Combine(TrainerFixtures.TempDir(), "train.jsonl");
        File.WriteAllText(empty, "");
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(Args(model, empty, output));
        Assert.Equal(1, code);
        Assert.Contains($"{empty}: the file is empty (0 examples)", err);
        Assert.False(Directory.Exists(Path.Combine(output, "model")));
    }

    [Fact]
    public void StagingLeftoversOfAKilledExportAreRemovedByTheNextRunAndNothingElse()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        string[] run = ["--set", "schedule.max_steps=2"];
        Assert.Equal(0, CliRunner.Run(Args(model, data, output, run)).ExitCode);

        int dead;
        using (var gone = Process.Start(new ProcessStartInfo("true"))!) { gone.WaitForExit(); dead = gone.Id; }
        string Guid() => System.Guid.NewGuid().ToString("N");
        string[] leftovers =
        [
            $"model.{dead}.{Guid()}.tmp", $"model.{Guid()}.tmp", $".sift_recipe.yaml.{dead}.{Guid()}.tmp",
            Path.Combine("checkpoints", $".checkpoint-3.{dead}.{Guid()}.tmp"), Path.Combine("confidence", $"checkpoint-1.{dead}.{Guid()}.tmp"),
        ];
        string[] kept = ["notes.tmp", "model.backup.tmp", $"model.{Environment.ProcessId}.{Guid()}.tmp", "model.1234.tmp"];
        foreach (var name in leftovers.Concat(kept))
        {
            var path = Path.Combine(output, name);
            if (name.StartsWith('.') || name.Contains("sift_recipe")) { File.WriteAllText(path, "partial"); continue; }
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "model.safetensors"), "partial");
        }

        var (code, _, err) = CliRunner.Run(Args(model, data, output, [.. run, "--resume"]));
        Assert.True(code == 0, err);
        Assert.Contains("removed 5 staging leftover(s)", err);
        foreach (var name in leftovers) Assert.False(Path.Exists(Path.Combine(output, name)), name);
        foreach (var name in kept) Assert.True(Path.Exists(Path.Combine(output, name)), name);
    }
}
