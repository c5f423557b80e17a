namespace Sift;

/// <summary>
/// An error caused by the user's input (a file, a setting, a flag). The message says what was
/// wrong, where (file, line or row, tensor name, config key) and what would fix it; the CLI
/// prints it as one line without a stack trace.
/// </summary>
public class SiftException : Exception
{
    public SiftException(string message) : base(message) { }
    public SiftException(string message, Exception inner) : base(message, inner) { }
}
