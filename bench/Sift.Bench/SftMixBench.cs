using System.Diagnostics;
using Sift.Data;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Bench;

/// <summary>
/// SFTMix step time over NTP step time for the same model, batches and length, in one process:
/// both objectives train on identical micro-batches (SFTMix's half-confident/half-unconfident plan),
/// interleaved step by step so machine load affects both alike. SFTMix is measured with its gradient
/// diagnostics off and with them on every 10th step (the default).
/// </summary>
public static class SftMixBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var config = TrainingBench.Config(Arg("--model", "stories15m"));
        int batch = int.Parse(Arg("--batch", "8")), length = int.Parse(Arg("--length", "512")), steps = int.Parse(Arg("--steps", "10"));
        var data = TrainingBench.RandomExamples(config, batch * steps, length, firstTrained: length / 4); // a 25% prompt, then the response
        var confident = data.Where((_, i) => i % 2 == 0).Select(e => e.Id).ToHashSet();
        var objectives = new (string Name, ITrainingObjective Objective)[]
        {
            ("ntp", new NtpOnPlan(confident)),
            ("sftmix", new SftMixObjective(confident, new SftMixOptions(DiagnosticSteps: 0))),
            ("sftmix+diagnostics/10", new SftMixObjective(confident, new SftMixOptions(DiagnosticSteps: 10))),
        };
        var times = objectives.ToDictionary(o => o.Name, _ => new List<double>());
        var models = objectives.ToDictionary(o => o.Name, _ => { var m = new CausalLM(config); m.InitializeWeights(0); return m; });
        var optimizers = models.ToDictionary(m => m.Key, m => new FusedAdamW(m.Value.named_parameters().Select(p => new FusedAdamW.Entry(p.name, p.parameter, p.parameter, 0.0)), 0.9, 0.999, 1e-8));
        var plan = SftMixPlanner.Plan(data, confident, batch, false, 0, 0);
        for (int s = 0; s < plan.Count; s++)
        {
            var examples = plan[s].Select(i => data[i]).ToList();
            foreach (var (name, objective) in objectives)
            {
                var sw = Stopwatch.StartNew();
                using var scope = NewDisposeScope();
                using var tokenBatch = Sift.Data.Batching.TokenBatch.Padded(examples);
                using var generator = new Generator((ulong)s + 1);
                var result = objective.Compute(models[name], tokenBatch, new StepContext(s, [examples], generator));
                result.Loss.backward();
                optimizers[name].Step(1e-4, 1.0);
                if (s > 0) times[name].Add(sw.Elapsed.TotalSeconds);
            }
        }
        // Per-step ratios against the NTP step taken just before: a burst of load from other jobs hits
        // both sides of a ratio, so their median is steadier than the ratio of the means.
        double ntp = times["ntp"].Average();
        foreach (var (name, _) in objectives)
        {
            var ratios = times[name].Zip(times["ntp"], (t, n) => t / n).Order().ToList();
            Console.WriteLine($"{name}: {times[name].Average():F3} s/step (mean of {times[name].Count}), {times[name].Average() / ntp:F3}x NTP; " +
                              $"per-step ratio median {ratios[ratios.Count / 2]:F3}, quartiles {ratios[ratios.Count / 4]:F3}-{ratios[3 * ratios.Count / 4]:F3}");
        }
        return 0;
    }

    private sealed class NtpOnPlan(IReadOnlySet<string> confident) : ITrainingObjective
    {
        private readonly NextTokenObjective _ntp = new();
        public string Name => "ntp";
        public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
            SftMixPlanner.Plan(examples, confident, microBatchSize, false, seed, epoch);
        public ObjectiveResult Compute(CausalLM model, Sift.Data.Batching.TokenBatch batch, StepContext context) => _ntp.Compute(model, batch, context);
    }
}
