using System.CommandLine;
using System.Text.Json.Nodes;
using Sift.Distributed;
using Sift.Pipeline;

namespace Sift.Cli.Commands;

/// <summary>`sift pipeline RECIPE.yaml`: run a recipe's stages as a cached graph.</summary>
public static class PipelineCommand
{
    public static Command Create()
    {
        var recipe = new Argument<string>("RECIPE") { Description = "Pipeline recipe (YAML: run_dir, vars, stages)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan (which stages would run, which are cached) and stop" };
        var runDir = new Option<string?>("--run-dir") { Description = "Override the recipe's run_dir" };
        var command = new Command("pipeline", "Run a recipe's stages (train, score, select, eval, report...) as a graph; each stage is cached by a hash of its command, inputs and upstream stages, so an interrupted or edited recipe redoes only what changed.")
        {
            recipe, dryRun, runDir,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            MpiLaunch.RequireSingleProcess("sift pipeline", Environment.GetEnvironmentVariable);
            return Run(PipelineRecipe.Load(parse.GetValue(recipe)!, parse.GetValue(runDir)), parse.GetValue(dryRun));
        }));
        return command;
    }

    /// <summary>
    /// Runs every stage in process; a stage whose command fails stops the pipeline with its name. Ends
    /// with a stage table and a summary line; <paramref name="onFinished"/> sees the results of a real run.
    /// </summary>
    public static int Run(PipelineRecipe recipe, bool dryRun, Action<IReadOnlyList<StageResult>>? onFinished = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CheckCommandLines(recipe);
        if (dryRun)
            foreach (var s in recipe.Stages)
                foreach (var missing in s.MissingInputs)
                    Console.Error.WriteLine($"warning: stage '{s.Name}' reads {missing}, which does not exist and no stage makes it");
        var stages = recipe.Stages.Select(s => new Stage
        {
            Name = s.Name,
            Kind = s.Arguments[0],
            Settings = new JsonObject { ["command"] = new JsonArray(s.Arguments.Select(a => (JsonNode)a).ToArray()), ["sift"] = SiftVersion },
            DependsOn = s.DependsOn,
            InputFiles = s.Inputs,
            Resumable = TrainStageRecipe.IsTrain(s.Arguments),
            Run = context =>
            {
                var args = PipelineRecipe.Resolve(s.Arguments, context.OutputDir, context.DependencyOutputs);
                if (context.Resuming && TrainStageRecipe.CheckpointToResume(args) is { } checkpoint)
                {
                    Console.Error.WriteLine($"[{s.Name}] resuming from {checkpoint}");
                    args.Add("--resume");
                }
                Console.Error.WriteLine($"[{s.Name}] sift {string.Join(' ', args.Select(Quote))}");
                int code = Program.BuildRoot().Parse(args.ToArray()).Invoke();
                if (code != 0) throw new SiftException($"stage '{s.Name}' failed (exit code {code}); fix it and run the pipeline again: finished stages are kept");
            },
        }).ToList();
        var progress = dryRun ? null : new PipelineProgress(stages.Select(s => s.Kind), () => clock.Elapsed);
        var results = StageRunner.Run(stages, recipe.RunDir, dryRun, new SynchronousLog(), progress);
        foreach (var r in results) Console.WriteLine($"{r.Name}\t{r.Outcome.ToString().ToLowerInvariant()}\t{r.OutputDir}");
        if (dryRun) return 0;
        Console.WriteLine(Summary(results, clock.Elapsed, progress!.TimeByKind()));
        onFinished?.Invoke(results);
        return 0;
    }

    /// <summary>
    /// Every stage's command line parsed before any stage runs, with its ${...} references standing in for the
    /// folders they will name: an unknown option or a malformed value in the last stage fails the pipeline
    /// now, not after the stages before it have trained.
    /// </summary>
    private static void CheckCommandLines(PipelineRecipe recipe)
    {
        var root = Program.BuildRoot();
        foreach (var s in recipe.Stages)
        {
            var placeholders = s.DependsOn.ToDictionary(d => d, d => Path.Combine(recipe.RunDir, d));
            var args = PipelineRecipe.Resolve(s.Arguments, Path.Combine(recipe.RunDir, s.Name), placeholders);
            if (root.Parse(args.ToArray()).Errors is [var first, ..])
                throw new SiftException($"{s.Source}: stage '{s.Name}': {first.Message} (in: sift {string.Join(' ', s.Arguments.Select(Quote))}); nothing has run");
        }
    }

    /// <summary>"36 stages in 11 min 2 s: 30 ran, 6 cached; train 580.2 s (18 stages), eval 41.0 s (6), other 9.3 s (6)".</summary>
    private static string Summary(IReadOnlyList<StageResult> results, TimeSpan wall, string timeByKind) =>
        $"{results.Count} stages in {Duration(wall)}: {results.Count(r => r.Outcome == StageOutcome.Ran)} ran, {results.Count(r => r.Outcome == StageOutcome.Cached)} cached" +
        (timeByKind.Length > 0 ? $"; {timeByKind}" : "");

    private static string Duration(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s" : $"{t.TotalSeconds:F1} s";

    /// <summary>
    /// Part of every stage key: the build identity of Sift's assemblies (deterministic builds give the
    /// same ids for the same code), so results made by other code are not reused.
    /// </summary>
    private static readonly string SiftVersion =
        $"{typeof(StageRunner).Assembly.ManifestModule.ModuleVersionId}/{typeof(PipelineCommand).Assembly.ManifestModule.ModuleVersionId}";

    private static string Quote(string a) => a.Contains(' ') ? $"\"{a}\"" : a;

    /// <summary>Progress that writes immediately on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousLog : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine(value);
    }
}
