using System.CommandLine;
using Sift.Cli.Commands;
using Sift.Native;

namespace Sift.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        TorchRuntime.Initialize();
        return BuildRoot().Parse(args).Invoke();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Sift: data-aware supervised fine-tuning of Llama-family models.");
        foreach (var command in CommandCatalog.All()) root.Add(command);
        return root;
    }
}
