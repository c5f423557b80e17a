using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;

namespace Sift.Training;

/// <summary>
/// The run's records: metrics.jsonl (one JSON object per logged step or evaluation), TensorBoard
/// event files under OUT/runs, and, when asked for, training_dynamics.jsonl (every example's loss
/// each time it is trained on). On resume, records after the checkpoint's step are dropped first,
/// so the files read as one uninterrupted run.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    private readonly StreamWriter _metrics;
    private readonly StreamWriter? _dynamics;
    private readonly TorchSharp.Modules.SummaryWriter _tensorboard;

    public TrainingLog(RunFolder run, bool recordDynamics, long resumeStep)
    {
        Directory.CreateDirectory(run.Dir);
        var metricsPath = run.MetricsPath;
        var dynamicsPath = run.DynamicsPath;
        TrimAfter(metricsPath, resumeStep);
        _metrics = new StreamWriter(metricsPath, append: true);
        if (recordDynamics)
        {
            TrimAfter(dynamicsPath, resumeStep);
            _dynamics = new StreamWriter(dynamicsPath, append: true);
        }
        _tensorboard = torch.utils.tensorboard.SummaryWriter(run.TensorBoardDir);
    }

    public void Metrics(long step, IReadOnlyDictionary<string, double> values)
    {
        var line = new JsonObject { ["step"] = step };
        foreach (var (key, value) in values)
        {
            line[key] = double.IsFinite(value) ? value : null;
            if (key != "epoch") _tensorboard.add_scalar(key.StartsWith("eval_") ? "eval/" + key[5..] : "train/" + key, (float)value, (int)step);
        }
        _metrics.WriteLine(line.ToJsonString());
        _metrics.Flush();
    }

    public void Dynamics(long step, int epoch, IEnumerable<ExampleLoss> examples)
    {
        if (_dynamics is null) return;
        foreach (var e in examples)
        {
            if (e.Tokens == 0) continue;
            _dynamics.WriteLine(new JsonObject
            {
                ["step"] = step, ["epoch"] = epoch, ["id"] = e.Id, ["loss"] = e.MeanLoss, ["tokens"] = e.Tokens, ["accuracy"] = e.Accuracy,
                ["prob"] = double.IsFinite(e.MeanProbability) ? e.MeanProbability : null,
            }.ToJsonString());
        }
    }

    public void Flush() => _dynamics?.Flush();

    /// <summary>Keeps the lines whose "step" is at most <paramref name="step"/> (all of them when the file is new).</summary>
    private static void TrimAfter(string path, long step)
    {
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                if (JsonNode.Parse(line)?["step"]?.GetValue<long>() is long s && s <= step) kept.Add(line);
            }
            catch (JsonException) { } // a torn last line from a killed run
        }
        IO.AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _dynamics?.Dispose();
    }
}
