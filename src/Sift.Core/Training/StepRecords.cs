namespace Sift.Training;

/// <summary>One rank's metric sums and per-example losses of a step, as bytes for the leader (doubles bit for bit).</summary>
internal static class StepRecords
{
    public static byte[] Write(IReadOnlyDictionary<string, double> metrics, IReadOnlyList<ExampleLoss> examples)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            w.Write(metrics.Count);
            foreach (var (key, value) in metrics) { w.Write(key); w.Write(value); }
            w.Write(examples.Count);
            foreach (var e in examples) { w.Write(e.Id); w.Write(e.NllSum); w.Write(e.Tokens); w.Write(e.Correct); w.Write(e.ProbSum); }
        }
        return stream.ToArray();
    }

    public static (Dictionary<string, double> Metrics, List<ExampleLoss> Examples) Read(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        var metrics = new Dictionary<string, double>();
        for (int i = r.ReadInt32(); i > 0; i--) metrics[r.ReadString()] = r.ReadDouble();
        var examples = new List<ExampleLoss>();
        for (int i = r.ReadInt32(); i > 0; i--) examples.Add(new ExampleLoss(r.ReadString(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32(), r.ReadDouble()));
        return (metrics, examples);
    }
}
