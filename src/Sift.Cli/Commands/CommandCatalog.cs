using System.CommandLine;

namespace Sift.Cli.Commands;

/// <summary>Every top-level command, in the order `sift --help` lists them.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return DemoCommand.Create();
        yield return GenerateCommand.Create();
        yield return ConvertCommand.Create();
        yield return DataCommand.Create();
        yield return TrainCommand.Create(pretrain: false);
        yield return TrainCommand.Create(pretrain: true);
        yield return ScoreCommand.Create();
        yield return SelectCommand.Create();
        yield return LoraCommand.Create();
        yield return PipelineCommand.Create();
        yield return EvalCommand.Create();
        yield return ReportCommand.Create();
    }
}
