namespace Sift.Tests;

/// <summary>Runs the CLI in-process with captured stdout and stderr; every run holds one lock, so parallel test classes never see each other's output.</summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Capture(() => Sift.Cli.Program.Main(args));

    /// <summary>Runs any body with stdout and stderr captured, under the same lock as <see cref="Run"/>: every test that swaps the console must take it.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Capture(Func<int> body)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = body();
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}
