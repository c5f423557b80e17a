using Sift.Scoring;

namespace Sift.Tests.Scoring;

/// <summary>A score job stopped through its <see cref="JobContext"/> leaves what it can resume, never a half-written table.</summary>
public class ScoreJobContextTests
{
    [Fact]
    public void AStoppedModelScoreKeepsItsFinishedBatchesAndResumesToTheSameTable()
    {
        var ws = new ScoringWorkspace();
        ScoreJobSettings Settings(string name) => new()
        {
            Method = ScoreMethods.Named("perplexity"),
            DataPath = ws.Data,
            Models = [ws.Model],
            Tokenization = new() { MaxLength = ScoringWorkspace.MaxLength },
            Scoring = new() { BatchSize = 2 },
            OutStem = ws.Out(name),
        };
        ScoreJob.Run(Settings("whole"), JobContext.Silent);

        using var stop = new CancellationTokenSource();
        var stopAtFirstPass = new JobContext(line => { if (line.StartsWith("pass ", StringComparison.Ordinal)) stop.Cancel(); }, stop.Token);
        Assert.Throws<OperationCanceledException>(() => ScoreJob.Run(Settings("stopped"), stopAtFirstPass));
        Assert.False(File.Exists(ws.Out("stopped") + ".jsonl"));
        int kept = File.ReadAllLines(ScoreJob.PartialPath(ws.Out("stopped"))).Length - 1; // the header, then one line per finished row
        Assert.InRange(kept, 1, 2); // the one batch in progress when the stop was asked for

        var resumed = ScoreJob.Run(Settings("stopped"), JobContext.Silent);
        Assert.Equal(kept, resumed.Resumed);
        Assert.Equal(File.ReadAllBytes(ws.Out("whole") + ".jsonl"), File.ReadAllBytes(ws.Out("stopped") + ".jsonl"));
    }

    [Fact]
    public void AStoppedDataScoreWritesNothing()
    {
        var ws = new ScoringWorkspace();
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.Throws<OperationCanceledException>(() => DataScoreJob.Run(
            new DataScoreJobSettings { Method = ScoreMethods.Named("random"), DataPath = ws.Data, OutStem = ws.Out("random") },
            new JobContext(_ => { }, stop.Token)));
        Assert.False(File.Exists(ws.Out("random") + ".jsonl"));
        Assert.False(File.Exists(ws.Out("random") + ".meta.json"));
    }
}
