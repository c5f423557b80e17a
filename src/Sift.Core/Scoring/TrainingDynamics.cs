using System.Text;
using System.Text.Json;

namespace Sift.Scoring;

/// <summary>
/// One row of training_dynamics.jsonl: an example's response loss when the trainer stepped on it, and its mean
/// gold-token probability (1/T) Σ_t p(y_t) (NaN in rows written before the trainer recorded it).
/// </summary>
public readonly record struct DynamicsRecord(long Step, int Epoch, string Id, double Loss, int Tokens, double Accuracy, double Probability = double.NaN);

/// <summary>
/// The per-epoch statistics the trainer recorded while training, from which <see cref="Methods.DynamicsMethod"/> computes
/// Cartography and SFTMix statistics (OUT/training_dynamics.jsonl, one row per example per time it was trained on:
/// {"step", "epoch", "id", "loss", "tokens", "accuracy", "prob"}). Per example and epoch, L_e is the mean
/// of its recorded losses in that epoch and a_e the mean accuracy (and, for the arithmetic token mean, p_e the
/// mean of its recorded mean token probabilities); a (step, id) pair recorded
/// twice (a resumed run repeating a step) counts once, the last record winning. Only complete
/// epochs (every example of the log seen in them) are used; a partial last epoch is left out and
/// reported; at least two complete epochs are needed (one has no variability). A torn last line (the trainer
/// was killed mid-write) is ignored.
/// </summary>
public static class TrainingDynamics
{
    /// <summary>The examples in order of first appearance, one pass per complete epoch used (named "epoch E"), which epochs those are, and which were left out.</summary>
    public sealed record Result(string[] Ids, IReadOnlyList<PassStatistics> Passes, IReadOnlyList<int> Epochs, IReadOnlyList<int> IncompleteEpochs);

    public static List<DynamicsRecord> Read(string path, out bool tornLastLine)
    {
        if (!File.Exists(path))
            throw new SiftException($"{path}: not found; `sift train` writes it when asked to record training dynamics");
        var bytes = File.ReadAllBytes(path);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        tornLastLine = end < bytes.Length && bytes.AsSpan(end).Trim((byte)' ').Length > 0;
        var lines = Encoding.UTF8.GetString(bytes, 0, end).Split('\n')[..^1];
        var records = new List<DynamicsRecord>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            records.Add(Parse(lines[i], $"{path}:{i + 1}"));
        }
        return records;
    }

    /// <param name="tokenMean">Arithmetic: every row must hold its mean token probability.</param>
    public static Result Epochs(IReadOnlyList<DynamicsRecord> records, string source, int? firstEpochs = null, TokenMean tokenMean = TokenMean.Geometric)
    {
        if (records.Count == 0) throw new SiftException($"{source}: no training records; was the run trained with dynamics recording on?");
        var latest = new Dictionary<(long, string), DynamicsRecord>();
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            latest[(r.Step, r.Id)] = r;
            if (seen.Add(r.Id)) order.Add(r.Id);
        }
        var byEpoch = latest.Values.GroupBy(r => r.Epoch).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => g.GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.ToList(), StringComparer.Ordinal));
        var complete = byEpoch.Where(kv => kv.Value.Count == order.Count).Select(kv => kv.Key).ToList();
        var incomplete = byEpoch.Keys.Except(complete).ToList();
        if (complete.Count == 0)
            throw new SiftException($"{source}: no epoch covers all {order.Count} examples (epochs {string.Join(", ", byEpoch.Keys)} are partial); train at least one full epoch");
        if (firstEpochs is int k)
        {
            if (k < 1 || k > complete.Count)
                throw new SiftException($"--epochs {k}: the log has {complete.Count} complete epochs ({string.Join(", ", complete)})");
            complete = complete.Take(k).ToList();
        }
        if (complete.Count < CheckpointConfidence.MinimumCheckpoints)
            throw new SiftException($"{source}: the run has {complete.Count} complete epoch(s) ({string.Join(", ", complete)})" +
                                    (firstEpochs is null ? "" : $" with --epochs {firstEpochs}") + $"; Cartography's variability needs at least " +
                                    $"{CheckpointConfidence.MinimumCheckpoints}: train for at least 2 epochs (schedule.num_train_epochs ≥ 2) with output.record_dynamics: true" +
                                    (firstEpochs is null ? "" : ", or keep more epochs with --epochs"));
        var passes = complete.Select(epoch =>
        {
            var rows = order.Select(id => byEpoch[epoch][id]).ToArray();
            if (tokenMean == TokenMean.Arithmetic && rows.SelectMany(r => r).FirstOrDefault(r => double.IsNaN(r.Probability)) is { Id: not null } old)
                throw new SiftException($"{source}: the row of '{old.Id}' at step {old.Step} has no \"prob\" (the trainer that wrote it did not " +
                                        "record token probabilities); use --token-mean geometric, or train again with this Sift and output.record_dynamics: true");
            return new PassStatistics($"epoch {epoch}", ModelDir: null,
                Tokens: rows.Select(r => (long)r[^1].Tokens).ToArray(),
                NllSum: rows.Select(_ => double.NaN).ToArray(), // a trainer records mean losses, not sums
                Loss: rows.Select(r => r.Average(x => x.Loss)).ToArray(),
                Accuracy: rows.Select(r => r.Average(x => x.Accuracy)).ToArray(),
                MeanProbability: rows.Select(r => r.Average(x => x.Probability)).ToArray());
        }).ToList();
        return new Result(order.ToArray(), passes, complete, incomplete);
    }

    private static DynamicsRecord Parse(string line, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new SiftException($"{where}: malformed JSON ({e.Message}); the file is damaged before its last line"); }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new SiftException($"{where}: expected a JSON object");
            JsonElement Field(string name, JsonValueKind kind)
            {
                if (!r.TryGetProperty(name, out var v) || v.ValueKind != kind)
                    throw new SiftException($"{where}: field '{name}' must be a {(kind == JsonValueKind.String ? "string" : "number")}; " +
                                            "rows are {\"step\", \"epoch\", \"id\", \"loss\", \"tokens\", \"accuracy\"}");
                return v;
            }
            long step = Field("step", JsonValueKind.Number).TryGetInt64(out var s) ? s : throw new SiftException($"{where}: field 'step' must be an integer");
            int epoch = Field("epoch", JsonValueKind.Number).TryGetInt32(out var e) ? e : throw new SiftException($"{where}: field 'epoch' must be an integer");
            int tokens = Field("tokens", JsonValueKind.Number).TryGetInt32(out var t) && t > 0 ? t : throw new SiftException($"{where}: field 'tokens' must be a positive integer");
            double loss = Field("loss", JsonValueKind.Number).GetDouble();
            double accuracy = Field("accuracy", JsonValueKind.Number).GetDouble();
            if (loss < 0) throw new SiftException($"{where}: field 'loss' is negative ({loss}); a mean negative log-likelihood is >= 0");
            if (accuracy < 0 || accuracy > 1) throw new SiftException($"{where}: field 'accuracy' is {accuracy}; it must lie in [0, 1]");
            double probability = double.NaN; // absent in rows of trainers before it was recorded
            if (r.TryGetProperty("prob", out var p))
            {
                if (p.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null)) throw new SiftException($"{where}: field 'prob' must be a number");
                probability = p.ValueKind == JsonValueKind.Null ? double.NaN : p.GetDouble();
                if (probability < 0 || probability > 1) throw new SiftException($"{where}: field 'prob' is {probability}; it must lie in [0, 1]");
            }
            return new DynamicsRecord(step, epoch, Field("id", JsonValueKind.String).GetString()!, loss, tokens, accuracy, probability);
        }
    }
}
