using Sift.Data.Writers;
using Sift.IO;

namespace Sift.Data.Operations;

/// <summary>Whole-file operations for experiments: a held-out split by id, and merging files into one.</summary>
public static class DatasetFiles
{
    /// <summary>Splits a file into train.jsonl and heldout.jsonl by a hash of each example id (stable under reordering).</summary>
    public static (int Train, int HeldOut) Split(string input, string outDir, DatasetOptions options, double heldOutFraction, DatasetStatistics? statistics = null)
    {
        if (heldOutFraction is <= 0 or >= 1) throw new SiftException($"--heldout-fraction must be in (0, 1), got {heldOutFraction}");
        int train = 0, held = 0;
        Directory.CreateDirectory(outDir);
        AtomicFile.Write(Path.Combine(outDir, "train.jsonl"), trainStream =>
            AtomicFile.Write(Path.Combine(outDir, "heldout.jsonl"), heldStream =>
            {
                using var trainWriter = new JsonlConversationWriter(trainStream);
                using var heldWriter = new JsonlConversationWriter(heldStream);
                foreach (var c in DatasetReader.Read(input, options, statistics))
                {
                    if (HeldOutSplit.IsHeldOut(c.Id, heldOutFraction)) { heldWriter.Write(c); held++; }
                    else { trainWriter.Write(c); train++; }
                }
                trainWriter.Complete();
                heldWriter.Complete();
            }));
        return (train, held);
    }

    /// <summary>Concatenates data files (each with its own read options) into one messages JSON Lines file; ids must stay unique.</summary>
    public static int Merge(IReadOnlyList<(string Path, DatasetOptions Options)> inputs, string output)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        int written = 0;
        AtomicFile.Write(output, stream =>
        {
            using var writer = new JsonlConversationWriter(stream);
            foreach (var (path, options) in inputs)
                foreach (var c in DatasetReader.Read(path, options))
                {
                    if (!seen.TryAdd(c.Id, path))
                        throw new SiftException($"{c.Source}: example id '{c.Id}' also occurs in {seen[c.Id]}; ids must be unique across the merged files");
                    writer.Write(c);
                    written++;
                }
            writer.Complete();
        });
        return written;
    }
}
