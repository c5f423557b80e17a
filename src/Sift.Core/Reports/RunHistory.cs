using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Eval;
using Sift.Training;
using Sift.Training.Recipes;

namespace Sift.Reports;

/// <summary>
/// What a training run folder (written by `sift train`) says about the run: its name (the folder's),
/// objective and data from sift_recipe.yaml, data size from training_data.json, every logged metric
/// of metrics.jsonl as a series over steps, and RUN/eval/eval.json when `sift eval` wrote one there.
/// </summary>
public sealed class RunHistory
{
    private RunHistory(string name, string dir, string objective, string? trainData, string? evalData, TrainingDataSummary? data,
        IReadOnlyDictionary<string, Series> metrics, EvalSummary? eval)
    {
        Name = name;
        Dir = dir;
        Objective = objective;
        TrainData = trainData;
        EvalData = evalData;
        Data = data;
        Metrics = metrics;
        Eval = eval;
    }

    public string Name { get; }
    public string Dir { get; }
    public string Objective { get; }
    /// <summary>The training data file's name (SFTMix: both halves).</summary>
    public string? TrainData { get; }
    /// <summary>The held-out data of the run's own evaluations: data.eval, or a fraction of the training data.</summary>
    public string? EvalData { get; }
    public TrainingDataSummary? Data { get; }
    /// <summary>Metric name (loss, eval_loss, mixup_loss, grad_cosine, ...) → its values by step.</summary>
    public IReadOnlyDictionary<string, Series> Metrics { get; }
    public EvalSummary? Eval { get; }

    public long? Steps => Metrics.Values.SelectMany(s => s.X).Select(x => (long?)x).Max();

    /// <summary>The metric's value at the last step it was logged, or null.</summary>
    public double? Last(string metric) => Metrics.TryGetValue(metric, out var s) && s.Y.Count > 0 ? s.Y[^1] : null;

    public RunHistory WithEval(EvalSummary eval) => new(Name, Dir, Objective, TrainData, EvalData, Data, Metrics, eval);

    /// <summary>A row for an evaluated model that is none of the reported runs (e.g. the base model).</summary>
    public static RunHistory EvalOnly(string name, EvalSummary eval) =>
        new(name, eval.Model, "-", null, null, null, new Dictionary<string, Series>(), eval);

    public static RunHistory Read(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        var run = new RunFolder(full);
        if (!Directory.Exists(full)) throw new SiftException($"{dir}: run folder not found");
        if (!File.Exists(run.MetricsPath))
            throw new SiftException($"{dir}: no {RunFiles.Metrics.Name}; give the output folder of `sift train` (it holds {RunFiles.Metrics.Name} and {RunFiles.Recipe.Name})");
        string objective = "?";
        string? trainData = null, evalData = null;
        if (File.Exists(run.RecipePath))
        {
            var recipe = RunRecipe.Read(run);
            objective = recipe.Objective.Name;
            trainData = string.Join(" + ", recipe.TrainingFiles.Select(Path.GetFileName));
            evalData = recipe.Data.Eval ?? (recipe.Data.EvalFraction > 0 ? $"{recipe.Data.EvalFraction:P0} of the training data" : null);
        }
        var evalPath = Path.Combine(run.EvalDir, EvalSummary.FileName);
        return new RunHistory(Pipeline.StageRunner.StageNameOf(Path.GetFileName(full)), full, objective, trainData, evalData, TrainingDataSummary.TryRead(run),
            ReadMetrics(run.MetricsPath), File.Exists(evalPath) ? EvalSummary.Read(evalPath) : null);
    }

    /// <summary>Every numeric field of every line as a series over "step"; a torn last line (a killed run) is ignored.</summary>
    private static Dictionary<string, Series> ReadMetrics(string path)
    {
        var points = new Dictionary<string, (List<double> X, List<double> Y)>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            JsonObject line;
            try
            {
                line = JsonNode.Parse(lines[i]) as JsonObject ?? throw new SiftException($"{path}:{i + 1}: expected a JSON object");
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                break;
            }
            catch (JsonException e)
            {
                throw new SiftException($"{path}:{i + 1}: malformed JSON ({e.Message})", e);
            }
            if (line["step"] is not JsonValue stepValue || !stepValue.TryGetValue<double>(out var step))
                throw new SiftException($"{path}:{i + 1}: field 'step' is missing or not a number");
            foreach (var (key, value) in line)
            {
                if (key == "step" || value is not JsonValue v || !v.TryGetValue<double>(out var y)) continue;
                if (!points.TryGetValue(key, out var series)) points[key] = series = ([], []);
                series.X.Add(step);
                series.Y.Add(y);
            }
        }
        return points.ToDictionary(kv => kv.Key, kv => new Series(kv.Key, kv.Value.X, kv.Value.Y), StringComparer.Ordinal);
    }
}
