using System.CommandLine;
using Sift.Data.Layouts;
using Sift.Data;
using Sift.Scoring;
using Sift.Training;

namespace Sift.Cli.Commands;

/// <summary>`sift score NAME` for a method that runs no model: from a run's recorded dynamics (<see cref="DynamicsScoreJob"/>) or the data alone (<see cref="DataScoreJob"/>).</summary>
public static class ModelFreeScoreCommands
{
    public static Command Dynamics(IScoreMethod method)
    {
        var run = new Option<string>("--run") { Description = $"Training output folder holding {RunFiles.Dynamics.Name}", Required = true }.Input();
        var output = new Option<string?>("--out") { Description = $"Output path without extension (default: RUN/{RunFiles.DynamicsScores.Name})" };
        var settings = new MethodSettingOptions(method.Settings);
        var command = new Command(method.Name, method.Help) { run, output };
        foreach (var option in settings.All) command.Options.Add(option);
        command.SetJob((parse, context) =>
        {
            var runFolder = new RunFolder(parse.GetValue(run)!);
            var result = DynamicsScoreJob.Run(new DynamicsScoreJobSettings
            {
                Method = method,
                DynamicsPath = runFolder.DynamicsPath,
                OutStem = ScoreTableFiles.Stem(parse.GetValue(output) ?? runFolder.DynamicsScoresStem),
                Settings = settings.Bind(parse),
            }, context);
            Console.WriteLine($"scored {result.Meta.Scored} examples over epochs {string.Join(", ", result.Epochs)} -> {result.Stem}.parquet, {result.Stem}.jsonl");
            if (result.IncompleteEpochs.Count > 0)
                Console.WriteLine($"left out incomplete epochs {string.Join(", ", result.IncompleteEpochs)} (not every example was recorded in them)");
            if (result.TornLastLine) Console.WriteLine("ignored a torn last line (the trainer stopped mid-write)");
            return 0;
        });
        return command;
    }

    public static Command Data(IScoreMethod method)
    {
        var data = new Option<string>("--data") { Description = "Data file", Required = true }.Input();
        var output = new Option<string>("--out") { Description = "Output path without extension", Required = true };
        var settings = new MethodSettingOptions(method.Settings);
        var read = new DataReadOptions($"Record layout: {DataLayoutNames.Choices}", "Field renames, e.g. prompt=question,response=answer", skipInvalid: null,
            DataReadOptions.DefaultLimitHelp);
        var command = new Command(method.Name, method.Help) { data, output };
        foreach (var option in settings.All) command.Options.Add(option);
        command.Add(read);
        command.SetJob((parse, context) =>
        {
            var result = DataScoreJob.Run(new DataScoreJobSettings
            {
                Method = method,
                DataPath = InputFiles.Require(parse.GetValue(data)!, "--data"),
                Read = read.Bind(parse),
                OutStem = ScoreTableFiles.Stem(parse.GetValue(output)!),
                Settings = settings.Bind(parse),
            }, context);
            Console.WriteLine($"scored {result.Meta.Scored} examples -> {result.Stem}.parquet, {result.Stem}.jsonl");
            return 0;
        });
        return command;
    }
}
