using System.Globalization;

namespace Sift.Pipeline;

/// <summary>
/// The overall progress of one pipeline run: each running stage's place among all stages, the time
/// elapsed and an estimate of the time left, and at the end the wall time spent per kind of stage.
/// The estimate uses only stages run in this invocation: for each group of kinds (pretrain, train,
/// score, eval, other) the mean wall time of its finished stages times its stages not yet reached.
/// Stages of a group none of whose stages has finished are counted, not guessed ("+ 33 stages not
/// yet timed"): borrowing another group's mean told the demo's newcomer 27 minutes after its long
/// pre-training stage, for a run that ended a minute later. Before any stage has finished it says
/// nothing about the time left. Cached stages advance the count but take no time, so they do not
/// enter the means; a stage not yet reached counts as one to run, so later cached stages can only
/// make the estimate fall.
/// </summary>
public sealed class PipelineProgress
{
    private static readonly string[] Groups = ["pretrain", "train", "score", "eval", "other"];

    private readonly Func<TimeSpan> _elapsed;
    private readonly int _total;
    private readonly Dictionary<string, int> _notReached = Groups.ToDictionary(g => g, _ => 0);
    private readonly Dictionary<string, (double Seconds, int Count)> _finished = Groups.ToDictionary(g => g, _ => (0.0, 0));
    private (string Group, TimeSpan Start)? _running;
    private int _reached;

    /// <param name="kinds">The kind (command) of every stage of the run.</param>
    /// <param name="elapsed">Time since the run started.</param>
    public PipelineProgress(IEnumerable<string> kinds, Func<TimeSpan> elapsed)
    {
        _elapsed = elapsed;
        foreach (var kind in kinds)
        {
            _notReached[GroupOf(kind)]++;
            _total++;
        }
    }

    /// <summary>The group whose stages take alike: select, data, report... count as other.</summary>
    public static string GroupOf(string kind) => kind switch
    {
        "pretrain" => "pretrain",
        "train" => "train",
        "score" => "score",
        "eval" => "eval",
        _ => "other",
    };

    /// <summary>A stage was found finished by an earlier run.</summary>
    public void Cached(string kind)
    {
        _reached++;
        _notReached[GroupOf(kind)]--;
    }

    /// <summary>A stage starts: "[12/50] ntp-seed3 (train) · 0:41 elapsed · about 1:05 left".</summary>
    public string Starting(string name, string kind)
    {
        if (_running != null) throw new InvalidOperationException("a stage is already running");
        var now = _elapsed();
        var left = Left(); // before this stage is counted as reached: it is still to do
        var group = GroupOf(kind);
        _reached++;
        _notReached[group]--;
        _running = (group, now);
        var line = $"[{_reached}/{_total}] {name} ({kind}) · {Clock(now)} elapsed";
        return left is { } l ? $"{line} · {l}" : line;
    }

    /// <summary>The running stage finished.</summary>
    public void Finished()
    {
        if (_running is not { } running) throw new InvalidOperationException("no stage is running");
        var (group, start) = running;
        var (seconds, count) = _finished[group];
        _finished[group] = (seconds + (_elapsed() - start).TotalSeconds, count + 1);
        _running = null;
    }

    /// <summary>Wall time per group of the stages that ran: "train 80.2 s (27 stages), eval 4.1 s (18)"; empty when none ran.</summary>
    public string TimeByKind()
    {
        var parts = Groups.Where(g => _finished[g].Count > 0).Select((g, i) =>
        {
            var (seconds, count) = _finished[g];
            var stages = i == 0 ? $"{count} stage{(count == 1 ? "" : "s")}" : $"{count}";
            return $"{g} {seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({stages})";
        });
        return string.Join(", ", parts);
    }

    /// <summary>"about 1:05 left", "about 0:04 left + 1 stage not yet timed", "3 stages not yet timed"; null before any stage has finished.</summary>
    private string? Left()
    {
        if (_finished.Values.All(f => f.Count == 0)) return null;
        double seconds = Groups.Where(g => _finished[g].Count > 0).Sum(g => _notReached[g] * _finished[g].Seconds / _finished[g].Count);
        bool timedToDo = Groups.Any(g => _finished[g].Count > 0 && _notReached[g] > 0);
        int untimed = Groups.Where(g => _finished[g].Count == 0).Sum(g => _notReached[g]);
        var stages = $"{untimed} stage{(untimed == 1 ? "" : "s")} not yet timed";
        if (untimed == 0) return $"about {Clock(TimeSpan.FromSeconds(seconds))} left";
        return timedToDo ? $"about {Clock(TimeSpan.FromSeconds(seconds))} left + {stages}" : stages;
    }

    /// <summary>"0:41", "12:05", "1:02:05": whole seconds, rounded.</summary>
    public static string Clock(TimeSpan t)
    {
        long s = (long)Math.Round(t.TotalSeconds, MidpointRounding.AwayFromZero);
        return s >= 3600 ? $"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}" : $"{s / 60}:{s % 60:00}";
    }
}
