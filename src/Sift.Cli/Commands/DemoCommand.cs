using System.CommandLine;
using System.Reflection;
using Sift.Demo;
using Sift.Pipeline;

namespace Sift.Cli.Commands;

/// <summary>`sift demo`: the embedded end-to-end experiment (no downloads, no arguments); `sift demo data` writes its inputs.</summary>
public static class DemoCommand
{
    public const string RecipeResource = "Sift.Cli.Recipes.demo.yaml";

    public static Command Create()
    {
        var runDir = new Option<string>("--run-dir") { Description = "Folder for the demo's stages and report", DefaultValueFactory = _ => "sift-demo" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan and stop" };
        var printRecipe = new Option<bool>("--print-recipe") { Description = "Print the demo's pipeline recipe (a starting point for your own) and stop" };
        var demo = new Command("demo", "Run the embedded demo, a positive control: synthetic instructions with 30% corrupted answers; NTP, a clean-data oracle, SFTMix, a confidence filter, LoBaSS and random selection; exact match, each method's share of the oracle's gap, noise-detection AUROC and an HTML report.")
        {
            runDir, dryRun, printRecipe,
        };
        demo.SetAction(parse => CliErrors.Run(() =>
        {
            var text = RecipeText();
            if (parse.GetValue(printRecipe)) { Console.Write(text); return 0; }
            return PipelineCommand.Run(PipelineRecipe.Parse(text, "demo recipe", parse.GetValue(runDir)), parse.GetValue(dryRun), PrintReport);
        }));
        demo.Subcommands.Add(Data());
        return demo;
    }

    /// <summary>The report's three-line verdict and where the report landed (its final folder, not the stage's temporary one).</summary>
    private static void PrintReport(IReadOnlyList<StageResult> results)
    {
        if (results.FirstOrDefault(r => r.Name == "report") is not { } report) return;
        var verdict = Path.Combine(report.OutputDir, Reports.ReportVerdict.FileName);
        if (File.Exists(verdict)) Console.Write(File.ReadAllText(verdict));
        Console.WriteLine($"report: {Path.Combine(report.OutputDir, "report.html")} (report.md beside it)");
    }

    public static string RecipeText()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(RecipeResource)
                           ?? throw new InvalidOperationException($"resource {RecipeResource} is missing from the build");
        return new StreamReader(stream).ReadToEnd();
    }

    private static Command Data()
    {
        var output = new Option<string>("--out") { Description = "Output folder", Required = true };
        var train = new Option<int>("--train") { Description = "Training examples", DefaultValueFactory = _ => 1200 };
        var heldout = new Option<int>("--heldout") { Description = "Clean held-out examples (prompts unseen in training)", DefaultValueFactory = _ => 180 };
        var pretrain = new Option<int>("--pretrain") { Description = "Plain-text task instances for pre-training", DefaultValueFactory = _ => 4000 };
        var noise = new Option<double>("--noise") { Description = "Fraction of training answers replaced by another example's answer of the same task", DefaultValueFactory = _ => 0.3 };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 7 };
        var command = new Command("data", "Write the demo's synthetic data: train.jsonl (with noise labels), heldout.jsonl, pretrain.jsonl and a byte-level tokenizer.")
        {
            output, train, heldout, pretrain, noise, seed,
        };
        command.SetJob((parse, _) =>
        {
            var dir = parse.GetValue(output)!;
            DemoData.Write(dir, parse.GetValue(train), parse.GetValue(heldout), parse.GetValue(pretrain), parse.GetValue(noise), parse.GetValue(seed));
            Console.WriteLine($"wrote {dir}: train.jsonl, heldout.jsonl, pretrain.jsonl, tokenizer/");
            return 0;
        });
        return command;
    }
}
