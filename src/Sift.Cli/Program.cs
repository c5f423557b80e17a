using System.CommandLine;
using Sift.Cli.Commands;

namespace Sift.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // TorchSharp is prepared by the commands that use it (CliErrors.Run), so `sift --help` runs even where it cannot load.
        return CliErrors.Run(torch: false, body: () => BuildRoot().Parse(args).Invoke());
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Sift: data-aware supervised fine-tuning of Llama-family models.");
        foreach (var command in CommandCatalog.All()) root.Add(command);
        return root;
    }
}
