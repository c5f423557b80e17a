using Sift.Native;

namespace Sift.Cli.Commands;

/// <summary>
/// Runs a command body and turns user errors into one line on stderr and exit code 1; only
/// real bugs (anything else) keep their stack trace, with exit code 70.
/// </summary>
public static class CliErrors
{
    public const int InternalError = 70;

    /// <summary>An error the user can fix (bad input, a missing or unwritable file), as opposed to a bug in Sift.</summary>
    public static bool IsUserError(Exception e) => e is SiftException or IOException or UnauthorizedAccessException;

    /// <param name="torch">Prepare TorchSharp first; commands that never touch it pass false, so they run even where it cannot load.</param>
    public static int Run(Func<int> body, bool torch = true)
    {
        try
        {
            if (torch) TorchRuntime.Initialize();
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"internal error (a bug in Sift; please report it): {e.GetType().FullName}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            return InternalError;
        }
    }
}
