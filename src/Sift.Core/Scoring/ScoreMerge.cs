using System.Text.RegularExpressions;

namespace Sift.Scoring;

/// <summary>
/// Joins the shard tables STEM.shard-I-of-N.* into STEM.parquet / STEM.jsonl / STEM.meta.json,
/// after checking that every shard 0..N−1 finished, all come from one job (same fingerprint, so the
/// same weights: shards of other weights are refused with the model named), no
/// id appears twice, and every id a shard was assigned is scored or excluded there. Rows are put
/// back in file order, so the result equals an unsharded run.
/// </summary>
public static partial class ScoreMerge
{
    public sealed record Result(string Stem, int Shards, ScoreMeta Meta);

    public static Result Run(string outStem)
    {
        using var outputLock = ScoreJob.LockOutput(outStem);
        var dir = Path.GetDirectoryName(Path.GetFullPath(outStem))!;
        var name = Path.GetFileName(outStem);
        var shards = Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, $"{name}.shard-*-of-*.meta.json")
                .Select(f => (File: f, Match: ShardName().Match(Path.GetFileName(f)[name.Length..])))
                .Where(x => x.Match.Success)
                .Select(x => (x.File, Index: int.Parse(x.Match.Groups[1].Value), Count: int.Parse(x.Match.Groups[2].Value)))
                .ToList()
            : [];
        if (shards.Count == 0)
            throw new SiftException($"no finished shards of '{outStem}' found ({outStem}.shard-I-of-N.meta.json); run `sift score ... --out {outStem} --shard I/N` first");
        var counts = shards.Select(s => s.Count).Distinct().Order().ToList();
        if (counts.Count > 1)
            throw new SiftException($"shards of '{outStem}' from runs with different shard counts ({string.Join(", ", counts)}) are side by side; delete the ones of the old run");
        int n = counts[0];
        var missing = Enumerable.Range(0, n).Except(shards.Select(s => s.Index)).ToList();
        if (missing.Count > 0)
        {
            var partial = missing.Where(i => File.Exists(ScoreJob.PartialPath($"{outStem}.shard-{i}-of-{n}"))).ToList();
            throw new SiftException($"shards {string.Join(", ", missing.Select(i => $"{i}/{n}"))} of '{outStem}' have not finished" +
                                    (partial.Count > 0 ? $" ({string.Join(", ", partial.Select(i => $"{i}/{n}"))} started: rerun them to resume)" : "") +
                                    "; run them, then merge again");
        }

        var ordered = shards.OrderBy(s => s.Index).ToList();
        var metas = ordered.Select(s => ScoreMeta.Read(s.File)).ToList();
        for (int i = 0; i < metas.Count; i++)
            if (metas[i].Weights == null)
                throw new SiftException($"{ordered[i].File}: shard {i}/{n} was written before Sift recorded the weights it scored with, so it may be stale; rescore it, then merge");
        for (int i = 1; i < metas.Count; i++)
        {
            if (metas[i].Fingerprint == metas[0].Fingerprint) continue;
            if (metas[i].Weights!.ChangedSince(metas[0].Weights!) is { } changed)
                throw new SiftException($"{ordered[0].File} and {ordered[i].File} were scored with different weights of {changed}; " +
                                        "rescore the shards of the old weights with the current model, then merge");
            throw new SiftException($"{ordered[i].File}: shard {i}/{n} comes from a different job (other data, models or settings) than shard 0/{n}; rerun it with the same settings");
        }

        var tables = new List<ScoreTable>();
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicates = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var stem = ScoreJob.ShardStem(outStem, new ShardSpec(i, n));
            var table = ScoreTableFiles.Read(ScoreTableFiles.ParquetPath(stem));
            foreach (var id in table.Ids.Concat(metas[i].Excluded.Select(e => e.Id)))
                if (!owner.TryAdd(id, i)) duplicates.Add($"'{id}' (shards {owner[id]} and {i})");
            var accounted = table.Ids.Concat(metas[i].Excluded.Select(e => e.Id)).ToHashSet(StringComparer.Ordinal);
            var lost = (metas[i].AssignedIds ?? []).Where(id => !accounted.Contains(id)).ToList();
            if (lost.Count > 0)
                throw new SiftException($"shard {i}/{n} ({ScoreTableFiles.ParquetPath(stem)}) is missing {lost.Count} of its examples: " +
                                        $"{string.Join(", ", lost.Take(10).Select(x => $"'{x}'"))}{(lost.Count > 10 ? ", ..." : "")}; rerun that shard");
            tables.Add(table);
        }
        if (duplicates.Count > 0)
            throw new SiftException($"{duplicates.Count} ids appear in more than one shard: {string.Join(", ", duplicates.Take(10))}{(duplicates.Count > 10 ? ", ..." : "")}; " +
                                    "the shard files come from different runs");

        var merged = ScoreTable.Concat(tables);
        if (merged.Has("index"))
        {
            var index = merged.Numbers("index", outStem);
            merged = merged.Take(Enumerable.Range(0, merged.RowCount).OrderBy(r => index[r]).ToList());
        }
        var meta = metas[0] with
        {
            ShardIndex = null,
            ShardCount = null,
            AssignedIds = null,
            Assigned = metas.Sum(m => m.Assigned),
            Scored = metas.Sum(m => m.Scored),
            NonFinite = metas.Sum(m => m.NonFinite),
            InvalidRecords = metas[0].InvalidRecords,
            Excluded = metas.SelectMany(m => m.Excluded).ToList(),
        };
        ScoreTableFiles.WriteBoth(merged, outStem);
        meta.Write(ScoreMeta.PathFor(outStem));
        return new Result(outStem, n, meta);
    }

    [GeneratedRegex(@"^\.shard-(\d+)-of-(\d+)\.meta\.json$")]
    private static partial Regex ShardName();
}
