using Sift.Cli.Commands;

namespace Sift.Tests.Cli;

public class CliErrorsTests
{
    [Fact]
    public void ABugExits70WithItsTypeMessageAndStackTrace()
    {
        var (code, err) = Capture(() => CliErrors.Run(ThrowingBody, torch: false));
        Assert.Equal(CliErrors.InternalError, code);
        Assert.Contains("internal error (a bug in Sift; please report it): System.InvalidOperationException: the bug", err);
        Assert.Contains(nameof(ThrowingBody), err);
    }

    [Fact]
    public void UserErrorsExit1WithOneLine()
    {
        var (code, err) = Capture(() => CliErrors.Run(() => throw new SiftException("data.jsonl:3: bad record"), torch: false));
        Assert.Equal(1, code);
        Assert.Equal("error: data.jsonl:3: bad record", err.Trim());
    }

    private static int ThrowingBody() => throw new InvalidOperationException("the bug");

    private static (int Code, string Stderr) Capture(Func<int> run)
    {
        var (code, _, err) = CliRunner.Capture(run);
        return (code, err);
    }
}
