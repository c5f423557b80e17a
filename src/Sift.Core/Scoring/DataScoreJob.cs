using Sift.Data;
using Sift.IO;

namespace Sift.Scoring;

/// <summary>Everything one `sift score` run over the data file alone needs.</summary>
public sealed record DataScoreJobSettings
{
    /// <summary>A method computed from the data alone (<see cref="ScoreInputs.DataOnly"/>).</summary>
    public required IScoreMethod Method { get; init; }
    public required string DataPath { get; init; }
    public DatasetOptions Read { get; init; } = new();
    /// <summary>Output path without extension.</summary>
    public required string OutStem { get; init; }
    public MethodSettings Settings { get; init; } = new();
}

public sealed record DataScoreJobResult(string Stem, ScoreMeta Meta);

/// <summary>Scores every example of a data file without a model and writes the method's table as STEM.parquet, STEM.jsonl and STEM.meta.json atomically.</summary>
public static class DataScoreJob
{
    public static DataScoreJobResult Run(DataScoreJobSettings s, JobContext context)
    {
        var method = s.Method;
        if (method.Inputs != ScoreInputs.DataOnly) throw new ArgumentException($"'{method.Name}' is not computed from the data alone but from {method.Inputs}");
        var ids = DatasetReader.Read(s.DataPath, s.Read).Select(c => c.Id).ToArray();
        var table = ScoreTables.Build(method, ids, Enumerable.Range(0, ids.Length).Select(i => (long)i).ToArray(), [], s.Settings);
        var hash = ContentHash.OfFile(s.DataPath);
        var meta = new ScoreMeta
        {
            Kind = method.Name,
            // The limit only when set, so tables scored without it keep their fingerprint.
            Fingerprint = ContentHash.OfString(string.Join(";",
            [
                method.Name,
                .. method.Takes(MethodSetting.Seed) ? [$"seed={s.Settings.Seed}"] : Array.Empty<string>(),
                $"data={hash}",
                .. s.Read.Limit is int limit ? [$"limit={limit}"] : Array.Empty<string>(),
            ])),
            DataPath = Path.GetFullPath(s.DataPath),
            DataSha256 = hash,
            Assigned = table.RowCount,
            Scored = table.RowCount,
            DataLimit = s.Read.Limit,
            Columns = ScoreMeta.Describe(table),
        };
        context.Cancel.ThrowIfCancellationRequested();
        ScoreTableFiles.WriteBoth(table, s.OutStem);
        meta.Write(ScoreMeta.PathFor(s.OutStem));
        return new DataScoreJobResult(s.OutStem, meta);
    }
}
