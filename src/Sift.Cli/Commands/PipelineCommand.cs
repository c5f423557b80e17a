using System.CommandLine;
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
    /// Runs every stage in process; a stage that fails stops the pipeline with its name, and a signal stops it at the
    /// running stage's next safe point. Ends with a stage table and a summary line; <paramref name="onFinished"/> sees
    /// the results of a real run.
    /// </summary>
    public static int Run(PipelineRecipe recipe, bool dryRun, Action<IReadOnlyList<StageResult>>? onFinished = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var signals = dryRun ? null : new StopSignals(stopping: "stopping the pipeline: a training stage saves a checkpoint at its next step, a scoring stage stops after its batch, other stages finish");
        var planned = PipelineStages.Plan(recipe, signals?.Token ?? CancellationToken.None);
        if (dryRun)
            foreach (var p in planned)
                foreach (var missing in p.MissingInputs)
                    Console.Error.WriteLine($"warning: stage '{p.Stage.Name}' reads {missing}, which does not exist and no stage makes it");
        var stages = planned.Select(p => p.Stage).ToList();
        var progress = dryRun ? null : new PipelineProgress(stages.Select(s => s.Kind), () => clock.Elapsed);
        IReadOnlyList<StageResult> results;
        try { results = StageRunner.Run(stages, recipe.RunDir, dryRun, new SynchronousLog(), progress); }
        catch (OperationCanceledException) when (signals is { Token.IsCancellationRequested: true })
        {
            Console.Error.WriteLine($"pipeline stopped after {Duration(clock.Elapsed)}; run it again to go on: finished stages are kept and an interrupted training stage resumes from its checkpoint");
            return signals.ExitCode;
        }
        foreach (var r in results) Console.WriteLine($"{r.Name}\t{r.Outcome.ToString().ToLowerInvariant()}\t{r.OutputDir}");
        if (dryRun) return 0;
        Console.WriteLine(Summary(results, clock.Elapsed, progress!.TimeByKind()));
        onFinished?.Invoke(results);
        return 0;
    }

    /// <summary>"36 stages in 11 min 2 s: 30 ran, 6 cached; train 580.2 s (18 stages), eval 41.0 s (6), other 9.3 s (6)".</summary>
    private static string Summary(IReadOnlyList<StageResult> results, TimeSpan wall, string timeByKind) =>
        $"{results.Count} stages in {Duration(wall)}: {results.Count(r => r.Outcome == StageOutcome.Ran)} ran, {results.Count(r => r.Outcome == StageOutcome.Cached)} cached" +
        (timeByKind.Length > 0 ? $"; {timeByKind}" : "");

    private static string Duration(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s" : $"{t.TotalSeconds:F1} s";

    /// <summary>Progress that writes immediately on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousLog : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine(value);
    }
}
