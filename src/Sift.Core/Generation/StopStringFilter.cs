namespace Sift.Generation;

/// <summary>
/// Streams generated text while watching for stop strings: text that could still be the start of
/// a stop string is held back until it is known not to be, and output ends before the stop string.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    private readonly string[] _stops = stopStrings.Where(s => s.Length > 0).ToArray();
    private string _pending = "";

    public bool Stopped { get; private set; }

    /// <summary>Adds newly decoded text; returns the text that is safe to emit now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        _pending += text;
        int stopAt = -1;
        foreach (var s in _stops)
        {
            int i = _pending.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (stopAt < 0 || i < stopAt)) stopAt = i;
        }
        if (stopAt >= 0)
        {
            Stopped = true;
            var head = _pending[..stopAt];
            _pending = "";
            return head;
        }
        int keep = HeldBackLength();
        var ready = _pending[..^keep];
        _pending = _pending[^keep..];
        return ready;
    }

    /// <summary>Whatever is still held back when generation ends for another reason.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }

    private int HeldBackLength()
    {
        int keep = 0;
        foreach (var s in _stops)
            for (int len = Math.Min(s.Length - 1, _pending.Length); len > keep; len--)
                if (_pending.AsSpan(_pending.Length - len).SequenceEqual(s.AsSpan(0, len))) { keep = len; break; }
        return keep;
    }
}
