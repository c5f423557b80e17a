using System.CommandLine;
using Sift.Reports;
using Sift.Scoring;

namespace Sift.Cli.Commands;

/// <summary>`sift score ...`: one subcommand per registered score method (<see cref="ScoreMethods"/>), then merge and plot.</summary>
public static class ScoreCommand
{
    public static Command Create()
    {
        var score = new Command("score", ScoreHelp.Score);
        foreach (var method in ScoreMethods.All)
            score.Subcommands.Add(method.Inputs switch
            {
                ScoreInputs.TrainingDynamics => ModelFreeScoreCommands.Dynamics(method),
                ScoreInputs.DataOnly => ModelFreeScoreCommands.Data(method),
                _ => ModelScoreCommand.Create(method),
            });
        score.Subcommands.Add(Merge());
        score.Subcommands.Add(Plot());
        return score;
    }

    public static void ReportExcluded(IReadOnlyList<ExcludedExample> excluded)
    {
        if (excluded.Count == 0) return;
        Console.WriteLine($"excluded {excluded.Count} examples (listed in the .meta.json):");
        foreach (var e in excluded.Take(5)) Console.WriteLine($"  {e.Id}: {e.Reason}");
        if (excluded.Count > 5) Console.WriteLine("  ...");
    }

    private static Command Merge()
    {
        var output = new Option<string>("--out") { Description = "The --out the shards were run with; reads OUT.shard-I-of-N.* and writes OUT.parquet, OUT.jsonl, OUT.meta.json", Required = true };
        var command = new Command("merge", "Merge the shard tables of a sharded `sift score` run into one table, equal to an unsharded run. " +
                                           "Every shard must have finished; missing or duplicate ids are errors.") { output };
        command.SetJob((parse, _) =>
        {
            var result = ScoreMerge.Run(ScoreTableFiles.Stem(parse.GetValue(output)!));
            Console.WriteLine($"merged {result.Shards} shards: {result.Meta.Scored} examples -> {result.Stem}.parquet, {result.Stem}.jsonl");
            ReportExcluded(result.Meta.Excluded);
            return 0;
        });
        return command;
    }

    private static Command Plot()
    {
        var table = new Argument<string>("TABLE") { Description = "Score table (.parquet or .jsonl)" }.Input();
        var output = new Option<string>("--out") { Description = "Folder for the PNG files", Required = true };
        var command = new Command("plot", "PNG histograms of every score column, and the Cartography data map (confidence vs variability, colored by correctness).") { table, output };
        command.SetJob((parse, _) =>
        {
            var path = InputFiles.Require(parse.GetValue(table)!, "TABLE", "score table");
            foreach (var file in ScorePlots.Write(ScoreTableFiles.Read(path), path, parse.GetValue(output)!)) Console.WriteLine($"wrote {file}");
            return 0;
        });
        return command;
    }
}
