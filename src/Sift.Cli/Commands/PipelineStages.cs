using System.CommandLine;
using System.Text.Json.Nodes;
using Sift.Pipeline;

namespace Sift.Cli.Commands;

/// <summary>
/// A pipeline recipe's stages as jobs. Every stage's command line is parsed by `sift`'s own parser before any stage
/// runs (an unknown option in the last stage fails the pipeline now, not after the stages before it have trained),
/// with its ${...} references standing in for the folders they will name. What a stage reads comes from its
/// command's definition (<see cref="InputFiles.Input{T}"/>, <see cref="CommandJob.IndirectInputs"/>); when it runs,
/// its command's <see cref="CommandJob"/> is called with the stage's context, and its errors name the stage.
/// </summary>
public static class PipelineStages
{
    /// <summary>A stage ready to run, and the inputs it names that neither exist nor are made by a stage.</summary>
    public sealed record Planned(Stage Stage, IReadOnlyList<string> MissingInputs);

    public static IReadOnlyList<Planned> Plan(PipelineRecipe recipe, CancellationToken stop)
    {
        var root = Program.BuildRoot();
        var runDir = Path.GetFullPath(recipe.RunDir) + Path.DirectorySeparatorChar;
        bool Outside(string path) => !Path.GetFullPath(path).StartsWith(runDir, StringComparison.Ordinal);
        return recipe.Stages.Select(s =>
        {
            var placeholders = s.DependsOn.ToDictionary(d => d, d => Path.Combine(recipe.RunDir, d));
            var planned = Parse(root, s, PipelineRecipe.Resolve(s.Arguments, Path.Combine(recipe.RunDir, s.Name), placeholders), "nothing has run");
            var job = CommandJobs.Of(planned)
                      ?? throw new SiftException($"{s.Source}: stage '{s.Name}': `sift {planned.CommandResult.Command.Name}` cannot be a pipeline stage; give a command that does one job (train, score ..., select, eval, report ...)");
            var named = InputFiles.Named(planned).Concat(job.IndirectInputs(planned)).ToList();
            // Any existing file the command line or its recipe names is part of the key: a changed file redoes the stage.
            var inputs = s.Arguments.SelectMany(a => a.Split('=', 2)).Where(a => !a.Contains("${") && !a.StartsWith('-')).Concat(named)
                .Where(a => File.Exists(a) || Directory.Exists(a)).Where(Outside).Select(Path.GetFullPath).Distinct().ToList();
            var missing = named.Where(a => !File.Exists(a) && !Directory.Exists(a) && Outside(a)).Distinct().ToList();
            var stage = new Stage
            {
                Name = s.Name,
                Kind = s.Arguments[0],
                Settings = new JsonObject { ["command"] = new JsonArray(s.Arguments.Select(a => (JsonNode)a).ToArray()), ["sift"] = SiftVersion },
                DependsOn = s.DependsOn,
                InputFiles = inputs,
                Resumable = job.CheckpointToResume != null,
                Run = context => Run(root, s, job, context, stop),
            };
            return new Planned(stage, missing);
        }).ToList();
    }

    private static void Run(RootCommand root, PipelineStage s, CommandJob job, StageContext context, CancellationToken stop)
    {
        stop.ThrowIfCancellationRequested();
        var args = PipelineRecipe.Resolve(s.Arguments, context.OutputDir, context.DependencyOutputs);
        var parse = Parse(root, s, args, "the stages before it are kept");
        if (context.Resuming && job.CheckpointToResume?.Invoke(parse) is { } checkpoint)
        {
            Console.Error.WriteLine($"[{s.Name}] resuming from {checkpoint}");
            args.Add("--resume");
            parse = Parse(root, s, args, "the stages before it are kept");
        }
        Console.Error.WriteLine($"[{s.Name}] sift {string.Join(' ', args.Select(Quote))}");
        try
        {
            if (job.Run(parse, new JobContext(Console.Error.WriteLine, stop)) is not 0 and var code)
                throw new InvalidOperationException($"stage '{s.Name}' returned exit code {code} without an error");
        }
        catch (Exception e) when (CliErrors.IsUserError(e))
        {
            throw new SiftException($"stage '{s.Name}': {e.Message}\nfix it and run the pipeline again: finished stages are kept", e);
        }
    }

    private static ParseResult Parse(RootCommand root, PipelineStage s, List<string> args, string consequence)
    {
        var parse = root.Parse(args.ToArray());
        return parse.Errors is [var first, ..]
            ? throw new SiftException($"{s.Source}: stage '{s.Name}': {first.Message} (in: sift {string.Join(' ', s.Arguments.Select(Quote))}); {consequence}")
            : parse;
    }

    /// <summary>
    /// Part of every stage key: the build identity of Sift's assemblies (deterministic builds give the
    /// same ids for the same code), so results made by other code are not reused.
    /// </summary>
    private static readonly string SiftVersion =
        $"{typeof(StageRunner).Assembly.ManifestModule.ModuleVersionId}/{typeof(PipelineStages).Assembly.ManifestModule.ModuleVersionId}";

    private static string Quote(string a) => a.Contains(' ') ? $"\"{a}\"" : a;
}
