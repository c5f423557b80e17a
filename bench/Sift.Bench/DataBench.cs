using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Native;

namespace Sift.Bench;

/// <summary>
/// The data issue's benchmark: the shared Alpaca-2K set replicated 26 times with distinct ids
/// (52,000 records) is read, validated, tokenized with the Llama 2 tokenizer and cached; then read
/// again from the cache. Run it on 2 cores: `SIFT_THREADS=2 taskset -c 0,1 sift-bench data`.
/// </summary>
public static class DataBench
{
    private const int Copies = 26;

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var assets = Arg("--assets", Path.Combine("..", "shared", "assets"));
        var work = Arg("--work", Path.Combine(Path.GetTempPath(), "sift-bench-data"));
        var cache = Path.Combine(work, "cache");
        bool keepCache = args.Contains("--keep-cache");
        Directory.CreateDirectory(work);
        if (!keepCache && Directory.Exists(cache)) Directory.Delete(cache, recursive: true);

        var data = Path.Combine(work, "alpaca_52k.jsonl");
        if (!File.Exists(data)) Replicate(Path.Combine(assets, "data", "alpaca-2k", "alpaca_data_2k.json"), data);
        var model = Path.Combine(work, "llama2-tokenizer");
        Directory.CreateDirectory(model);
        File.Copy(Path.Combine(assets, "tokenizers", "llama2", "tokenizer.model"), Path.Combine(model, "tokenizer.model"), overwrite: true);

        Console.WriteLine($"data {data} ({new FileInfo(data).Length / 1e6:F1} MB), worker threads {WorkerThreads.Count}, cores available {Environment.ProcessorCount}");
        var timer = Stopwatch.StartNew();
        var tokenizer = TokenizedDataset.TokenizerFor(model, new TokenizationOptions { MaxLength = 1024 });
        Console.WriteLine($"load tokenizer ({tokenizer.Tokenizer.Description}, template {tokenizer.Template.Name}): {timer.Elapsed.TotalSeconds:F2} s");

        var read = new DatasetOptions { SkipInvalid = true };
        var process = Process.GetCurrentProcess();
        for (int run = 1; run <= 2; run++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            timer.Restart();
            var dataset = TokenizedDataset.LoadOrBuild(data, read, tokenizer, cache);
            var seconds = timer.Elapsed.TotalSeconds;
            process.Refresh();
            // CPU time shows how much of the wall time was this process's own work on a shared machine.
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            long tokens = dataset.Examples.Sum(e => (long)e.Length);
            Console.WriteLine($"run {run} ({(dataset.Cache.Hit ? "cache hit" : "read + validate + tokenize + write cache")}): {seconds:F2} s wall, {cpu:F2} s CPU; " +
                              $"{dataset.Examples.Count} examples, {tokens} tokens ({tokens / seconds / 1e6:F2} M tok/s); {dataset.Report}");
        }
        return 0;
    }

    /// <summary>Writes the 2K set <see cref="Copies"/> times as JSON Lines, copy k's record i with id "alpaca-{k}-{i}".</summary>
    private static void Replicate(string source, string target)
    {
        var records = JsonNode.Parse(File.ReadAllBytes(source))!.AsArray();
        var tmp = target + ".tmp";
        using (var output = new StreamWriter(tmp))
        {
            for (int k = 0; k < Copies; k++)
                for (int i = 0; i < records.Count; i++)
                {
                    var record = new JsonObject { ["id"] = $"alpaca-{k}-{i}" };
                    foreach (var (name, value) in records[i]!.AsObject()) record[name] = value?.DeepClone();
                    output.WriteLine(record.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                }
        }
        File.Move(tmp, target, overwrite: true);
    }
}
