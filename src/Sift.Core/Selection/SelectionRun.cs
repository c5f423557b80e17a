using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Writers;
using Sift.IO;
using Sift.Scoring;

namespace Sift.Selection;

/// <summary>
/// `sift select`: ranks the rows of a score table, writes each subset as a messages JSON Lines
/// file of the original conversations (OUT/NAME.jsonl, in data-file order) and OUT/manifest.json
/// (policy, counts, score ranges, SHA-256 of every input). Every write is atomic.
/// </summary>
public static class SelectionRun
{
    public sealed record Request(string ScoresPath, string DataPath, DatasetOptions Read, SelectionPolicy Policy, string OutDir, IReadOnlyList<string> WithTables);

    public sealed record Result(string ManifestPath, IReadOnlyList<(string Name, string Path, int Count)> Subsets, IReadOnlyList<string> Notes);

    public static Result Run(Request request)
    {
        var policy = request.Policy;
        policy.Validate();
        var table = ScoreTableFiles.Read(request.ScoresPath);
        var conversations = DatasetReader.Read(request.DataPath, request.Read).ToList();
        var position = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in conversations) position[c.Id] = position.Count;
        var unknown = table.Ids.Where(id => !position.ContainsKey(id)).ToList();
        if (unknown.Count > 0)
            throw new SiftException($"{request.ScoresPath}: {unknown.Count} ids are not in {request.DataPath}: {string.Join(", ", unknown.Take(5).Select(i => $"'{i}'"))}" +
                                    $"{(unknown.Count > 5 ? ", ..." : "")}; select from the data file that was scored" +
                                    (request.Read.Limit is int limit ? $", read as it was scored (--limit {limit} reads only its first {limit} examples)" : ""));

        var values = policy.RandomSeed is long seed
            ? table.Ids.Select(id => RandomScore.Of(seed, id)).ToArray()
            : table.Numbers(policy.Column!, request.ScoresPath);
        var strata = policy.Stratify == null ? null : StrataColumn(table, policy.Stratify, request);
        var positions = table.Ids.Select(id => position[id]).ToArray();
        var outcome = Selector.Select(policy, values, positions, strata);

        var notes = outcome.Notes.ToList();
        int notScored = conversations.Count - table.RowCount;
        if (notScored > 0) notes.Add($"{notScored} examples of the data file have no row in the score table (excluded when scoring) and are never selected");

        var subsets = new List<(string, string, int)>();
        var subsetJson = new JsonArray();
        foreach (var (name, rows) in outcome.Subsets)
        {
            var ids = rows.Select(r => table.Ids[r]).ToHashSet(StringComparer.Ordinal);
            var path = Path.Combine(request.OutDir, name + ".jsonl");
            AtomicFile.Write(path, stream =>
            {
                using var writer = new JsonlConversationWriter(stream);
                foreach (var c in conversations.Where(c => ids.Contains(c.Id))) writer.Write(c);
                writer.Complete();
            });
            subsets.Add((name, path, rows.Length));
            var chosen = rows.Select(r => values[r]).ToList();
            subsetJson.Add(new JsonObject
            {
                ["name"] = name,
                ["file"] = name + ".jsonl",
                ["count"] = rows.Length,
                ["score_min"] = chosen.Count > 0 ? chosen.Min() : null,
                ["score_max"] = chosen.Count > 0 ? chosen.Max() : null,
            });
        }

        var manifest = new JsonObject
        {
            ["policy"] = PolicyJson(policy),
            ["inputs"] = new JsonObject
            {
                ["scores"] = FileEntry(request.ScoresPath),
                ["data"] = FileEntry(request.DataPath),
                ["with"] = new JsonArray(request.WithTables.Select(t => (JsonNode)FileEntry(t)).ToArray()),
            },
            ["counts"] = new JsonObject
            {
                ["data_examples"] = conversations.Count,
                ["table_rows"] = table.RowCount,
                ["eligible"] = outcome.Eligible,
                ["non_finite"] = outcome.NonFinite,
                ["filtered"] = outcome.Filtered,
                ["not_scored"] = notScored,
            },
            ["subsets"] = subsetJson,
            ["notes"] = new JsonArray(notes.Select(n => (JsonNode)n).ToArray()),
        };
        var manifestPath = Path.Combine(request.OutDir, "manifest.json");
        AtomicFile.WriteAllText(manifestPath, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return new Result(manifestPath, subsets, notes);
    }

    private static string[] StrataColumn(ScoreTable table, string column, Request request)
    {
        if (table.Has(column)) return table.Texts(column, request.ScoresPath);
        foreach (var path in request.WithTables)
        {
            var extra = ScoreTableFiles.Read(path);
            if (!extra.Has(column)) continue;
            var byId = extra.Ids.Zip(extra.Texts(column, path)).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
            var missing = table.Ids.Where(id => !byId.ContainsKey(id)).ToList();
            if (missing.Count > 0)
                throw new SiftException($"{path}: no '{column}' for {missing.Count} scored ids ({string.Join(", ", missing.Take(5).Select(i => $"'{i}'"))}); every scored example needs a stratum");
            return table.Ids.Select(id => byId[id]).ToArray();
        }
        throw new SiftException($"--stratify {column}: neither {request.ScoresPath} nor the --with tables have that column");
    }

    private static JsonObject FileEntry(string path) => new()
    {
        ["path"] = Path.GetFullPath(path),
        ["sha256"] = ContentHash.OfFile(path),
    };

    private static JsonObject PolicyJson(SelectionPolicy p) => new()
    {
        ["column"] = p.Column,
        ["random_seed"] = p.RandomSeed,
        ["order"] = p.Order.ToString().ToLowerInvariant(),
        ["amount"] = p.Amount switch
        {
            SelectionAmount.TopK k => new JsonObject { ["top_k"] = k.K },
            SelectionAmount.Fraction f => new JsonObject { ["fraction"] = f.F },
            SelectionAmount.Threshold t => new JsonObject { ["threshold"] = t.X },
            SelectionAmount.Split s => new JsonObject { ["split"] = s.Q },
            _ => null,
        },
        ["drop_above"] = p.DropAbove,
        ["drop_below"] = p.DropBelow,
        ["stratify"] = p.Stratify,
        ["tie_break"] = "earlier position in the data file first",
        ["names"] = new JsonArray(p.Names.Select(n => (JsonNode)n).ToArray()),
    };
}
