using System.Diagnostics;
using Sift.Data;
using Sift.Data.Batching;
using Sift.Distributed;
using Sift.IO;
using Sift.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>
/// The training loop: micro-batches from the objective's epoch plan, gradient accumulation with the
/// loss normalized over the whole optimizer step, AdamW with decay/no-decay groups, warmup and
/// decay, clipping by global norm, fp32 or bf16 (with fp32 masters), periodic evaluation,
/// checkpoints and exact resume. Every random draw derives from (seed, step), and the data order
/// from (seed, epoch), so a resumed run ends with the same weights as one never stopped.
/// </summary>
public sealed class Trainer(ITrainingTarget target, ITrainingObjective objective, TrainingOptions options, string outputDir)
{
    private readonly RunFolder _run = new(outputDir);

    /// <summary>The run's settings by recipe key, saved in checkpoints; on resume only <see cref="ResumeSettings.Adjustable"/> ones may differ.</summary>
    public ResumeSettings Settings { get; init; } = ResumeSettings.None;

    /// <summary>Called once a resume (if any) is accepted, before the first step: where the caller writes its run records (on the leader only).</summary>
    public Action? OnReady { get; init; }

    /// <summary>The processes of a data-parallel run (docs/DISTRIBUTED.md), this one among them; null for a single process. Only rank 0 writes.</summary>
    public IProcessGroup? Parallel { get; init; }

    public Action<StepReport>? OnStep { get; init; }
    public Action<string>? OnMessage { get; init; }

    public TrainingResult Train(IReadOnlyList<TokenizedExample> train, IReadOnlyList<TokenizedExample> eval, string? resumeFrom, CancellationToken cancel)
    {
        options.Validate();
        if (train.Count == 0) throw new SiftException("there are no training examples");
        var model = target.Model;
        model.GradientCheckpointing = options.GradientCheckpointing;
        if (options.GradientCheckpointing) NativeHeap.FixMmapThreshold();
        int micro = options.PerDeviceTrainBatchSize, accumulation = options.GradientAccumulationSteps;
        var plans = new Dictionary<int, IReadOnlyList<int[]>>();
        IReadOnlyList<int[]> Plan(int epoch)
        {
            if (!plans.TryGetValue(epoch, out var plan))
            {
                plans.Clear();
                plan = plans[epoch] = objective.PlanEpoch(train, micro, options.Seed, epoch);
            }
            return plan;
        }
        long stepsPerEpoch = (Plan(0).Count + accumulation - 1) / accumulation;
        if (stepsPerEpoch == 0) throw new SiftException("the objective planned no batches; check the data and the batch size");
        long total = options.MaxSteps > 0 ? options.MaxSteps : stepsPerEpoch * options.NumTrainEpochs;
        long warmup = options.WarmupSteps > 0 ? options.WarmupSteps : (long)Math.Ceiling(options.WarmupRatio * total);
        var schedule = new LearningRateSchedule(options.LearningRate, options.LrSchedulerType, warmup, total);
        var confidenceSteps = ConfidenceSteps(total, options.ConfidenceCheckpoints);
        bool IsLogged(long done) => done % options.LoggingSteps == 0 || done == total;

        using var masters = new MasterWeights(target.Trainable, options.Precision);
        using var optimizer = new FusedAdamW(masters.OptimizerEntries(options.WeightDecay), options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon);
        var sync = Parallel is null ? null : new DataParallelSync(Parallel, target.Trainable.Select(t => t.Parameter).ToList());
        bool leader = sync?.IsLeader ?? true;

        var store = new CheckpointStore(_run.Dir, options.SaveTotalLimit);
        long start = 0;
        long tokensSeen = 0;
        TrainerState? resumed = null;
        if (resumeFrom != null)
        {
            var state = resumed = TrainerState.Read(Path.Combine(resumeFrom, CheckpointStore.StateFile));
            var changed = Settings.Check(state, resumeFrom);
            var weights = target.Load(resumeFrom);
            try { masters.Load(weights, resumeFrom); } finally { foreach (var w in weights.Values) w.Dispose(); }
            optimizer.Load(Path.Combine(resumeFrom, CheckpointStore.OptimizerFile));
            start = state.GlobalStep;
            tokensSeen = state.TokensSeen;
            OnMessage?.Invoke($"resumed from {resumeFrom} at step {start} of {total}");
            if (changed.Count > 0) OnMessage?.Invoke($"resuming with changed settings: {string.Join(", ", changed)}");
            if (leader) ResumeHistory.Append(_run, start, resumeFrom, changed);
        }
        if (sync != null)
        {
            sync.RequireSameRun(Settings.Values);
            sync.RequireSameWeights(masters, start);
            OnMessage?.Invoke(sync.Description);
        }
        if (leader) OnReady?.Invoke();
        var watch = new DivergenceWatch(resumed, MaxAbs(masters));

        using var log = leader ? new TrainingLog(_run, options.RecordDynamics, start) : null;
        model.train();
        var clock = Stopwatch.StartNew();
        using var threads = AdaptiveThreads.Start(m => OnMessage?.Invoke(m));
        long stepsThisRun = 0, tokensThisRun = 0;
        double lastLoss = resumed?.LastLoss ?? double.NaN;
        bool alreadyComplete = resumed != null && start >= total;
        EvalResult? lastEval = null;
        bool interrupted = false;
        for (long step = start; step < total; step++)
        {
            int epoch = (int)(step / stepsPerEpoch);
            var plan = Plan(epoch);
            int first = (int)(step % stepsPerEpoch * accumulation);
            var batches = plan.Skip(first).Take(accumulation).Select(ix => (IReadOnlyList<TokenizedExample>)ix.Select(i => train[i]).ToList()).ToList();

            ulong stepSeed = unchecked((ulong)(options.Seed * 1_000_003L + step * 7_919L + 11));
            var metrics = new Dictionary<string, double>();
            var stepExamples = new List<ExampleLoss>();
            long stepTokens = batches.Sum(b => b.Sum(e => (long)e.Length));
            double loss = 0;
            var (mine, count) = sync?.Share(batches.Count) ?? (0, batches.Count);
            for (int b = mine; b < mine + count; b++)
            {
                using var scope = NewDisposeScope();
                ulong seed = MicroBatchSeed(stepSeed, b);
                torch.manual_seed((long)(seed & long.MaxValue));
                using var generator = new Generator(seed);
                var context = new StepContext(step, batches, generator, IsLogged(step + 1), options.LoggingSteps);
                using var batch = options.Packing ? TokenBatch.Packed(batches[b], options.PackedRowLength) : TokenBatch.Padded(batches[b]);
                var result = objective.Compute(model, batch, context);
                double value = result.Loss.item<float>();
                if (!double.IsFinite(value)) throw Diverged(step + 1, $"the loss is {value}", store, watch);
                result.Loss.backward();
                loss += value;
                foreach (var (k, v) in result.Metrics) metrics[k] = metrics.GetValueOrDefault(k) + v;
                if (options.RecordDynamics) stepExamples.AddRange(result.Examples);
            }
            bool? agreedStop = null; // data parallel: whether any rank was asked to stop, so that all stop after the same step
            if (sync != null)
            {
                var totals = sync.Exchange(loss, cancel.IsCancellationRequested, metrics, stepExamples, gatherRecords: IsLogged(step + 1) || options.RecordDynamics);
                (loss, agreedStop, metrics, stepExamples) = (totals.Loss, totals.StopRequested, totals.Metrics, totals.Examples);
                metrics["allreduce_seconds"] = totals.AllReduceSeconds;
            }
            log?.Dynamics(step + 1, epoch, stepExamples);

            double norm = optimizer.GradientNorm();
            if (!double.IsFinite(norm)) throw Diverged(step + 1, $"the gradient norm is {norm}", store, watch);
            watch.Observe(loss, norm);
            double lr = schedule.RateAt(step);
            optimizer.Step(lr, ClipScale(norm, options.MaxGradNorm));
            threads?.Observe();

            long done = step + 1;
            stepsThisRun++;
            tokensThisRun += stepTokens;
            tokensSeen += stepTokens;
            lastLoss = loss;
            log?.Flush();
            double tokPerSec = tokensThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            if (IsLogged(done))
            {
                metrics["loss"] = loss;
                metrics["learning_rate"] = lr;
                metrics["grad_norm"] = norm;
                metrics["epoch"] = (double)done / stepsPerEpoch;
                metrics["tokens_per_second"] = tokPerSec;
                log?.Metrics(done, metrics);
            }
            OnStep?.Invoke(new StepReport(done, total, epoch, loss, lr, norm, tokPerSec, clock.Elapsed / stepsThisRun * (total - done)));

            if (leader && eval.Count > 0 && ((options.EvalSteps > 0 && done % options.EvalSteps == 0) || done == total))
            {
                lastEval = Evaluator.Evaluate(model, eval, options.PerDeviceEvalBatchSize);
                log!.Metrics(done, new Dictionary<string, double>
                {
                    ["eval_loss"] = lastEval.Loss, ["eval_perplexity"] = lastEval.Perplexity, ["eval_token_accuracy"] = lastEval.TokenAccuracy,
                });
                OnMessage?.Invoke($"step {done}: eval_loss {lastEval.Loss:F4}, eval_perplexity {lastEval.Perplexity:F3}, eval_token_accuracy {lastEval.TokenAccuracy:P1}");
            }
            if (leader && confidenceSteps.Contains(done)) SaveConfidenceSnapshot(done, masters);

            bool stop = (agreedStop ?? cancel.IsCancellationRequested) && done < total;
            if (done == total || stop || (options.SaveSteps > 0 && done % options.SaveSteps == 0))
            {
                double maxAbs = MaxAbs(masters);
                if (!double.IsFinite(maxAbs)) throw Diverged(done, "the weights hold non-finite values after the update (not saved as a checkpoint)", store, watch);
                if (sync?.RequireSameWeights(masters, done) is { } fingerprint)
                    OnMessage?.Invoke($"step {done}: the weights of all ranks are bit-identical (xxh128 {fingerprint})");
                if (leader)
                {
                    var state = new TrainerState
                    {
                        GlobalStep = done, Epoch = epoch, TotalSteps = total, StepsPerEpoch = stepsPerEpoch,
                        Objective = objective.Name, LastLoss = loss, TokensSeen = tokensSeen, Settings = new(Settings.Values),
                        StepInRange = watch.LastStepInRange, LastGoodStep = watch.LastGood, StartMaxAbsWeight = watch.StartMaxAbsWeight,
                        RecentLosses = [.. watch.RecentLosses], RecentGradNorms = [.. watch.RecentGradNorms],
                    };
                    var path = store.Save(done, state, dir => SaveCheckpoint(dir, masters, optimizer), keepAlso: watch.LastGood);
                    OnMessage?.Invoke($"checkpoint {path}");
                }
                watch.Saved(done, maxAbs);
            }
            if (stop)
            {
                interrupted = true;
                OnMessage?.Invoke($"interrupted at step {done}; resume with --resume");
                break;
            }
        }

        string? modelDir = null;
        if (!interrupted)
        {
            modelDir = _run.ModelDir;
            // A finished run's model is already exported; only a missing one is written again.
            if (alreadyComplete && Directory.Exists(modelDir)) return new TrainingResult(total, lastLoss, null, modelDir, false, AlreadyComplete: true);
            if (leader) Export(modelDir, masters);
        }
        return new TrainingResult(total, lastLoss, lastEval, modelDir, interrupted, alreadyComplete);
    }

    /// <summary>
    /// The random seed of a step's micro-batch <paramref name="index"/> (NEFTune noise, SFTMix's λ, LoRA dropout):
    /// the step's own for the first, so that a step of one micro-batch draws as it always did, and a distinct one
    /// for each other, so that the rank that trains a micro-batch draws what a single process would.
    /// </summary>
    public static ulong MicroBatchSeed(ulong stepSeed, int index) => unchecked(stepSeed + (ulong)index * 0x9E3779B97F4A7C15UL);

    /// <summary>C evenly spaced steps ending at the last one: round(total·c/C) for c = 1..C.</summary>
    public static SortedSet<long> ConfidenceSteps(long total, int count)
    {
        var steps = new SortedSet<long>();
        for (int c = 1; c <= count; c++) steps.Add(Math.Max(1, (long)Math.Round((double)total * c / count, MidpointRounding.AwayFromZero)));
        return steps;
    }

    /// <summary>torch.nn.utils.clip_grad_norm_'s factor: max_norm / (norm + 1e-6) when that is below 1; no clipping when max_norm ≤ 0.</summary>
    public static double ClipScale(double norm, double maxNorm) => maxNorm > 0 ? Math.Min(1.0, maxNorm / (norm + 1e-6)) : 1.0;

    private void Export(string modelDir, MasterWeights masters)
    {
        using var weights = new NamedTensors(masters);
        AtomicFolder.Replace(modelDir, dir => target.Export(dir, weights.Tensors, final: true));
    }

    private void SaveCheckpoint(string dir, MasterWeights masters, FusedAdamW optimizer)
    {
        using var weights = new NamedTensors(masters);
        target.Save(dir, weights.Tensors);
        optimizer.Save(Path.Combine(dir, CheckpointStore.OptimizerFile));
    }

    private void SaveConfidenceSnapshot(long step, MasterWeights masters)
    {
        var relative = ConfidenceList.EntryFor(step);
        using (var weights = new NamedTensors(masters))
            AtomicFolder.Replace(Path.Combine(_run.Dir, relative), dir => target.Export(dir, weights.Tensors, final: false));
        ConfidenceList.Add(_run, step);
        OnMessage?.Invoke($"confidence checkpoint {relative}");
    }

    /// <summary>The largest weight magnitude; NaN or infinity when a weight is not finite (max and min propagate NaN). Allocates no copy.</summary>
    private static double MaxAbs(MasterWeights masters)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double result = 0;
        foreach (var (_, w) in masters.Named)
        {
            if (w.numel() == 0) continue;
            double hi = w.max().to_type(ScalarType.Float64).item<double>(), lo = w.min().to_type(ScalarType.Float64).item<double>();
            if (double.IsNaN(hi) || double.IsNaN(lo)) return double.NaN;
            result = Math.Max(result, Math.Max(hi, -lo));
        }
        return result;
    }

    private static SiftException Diverged(long step, string what, CheckpointStore store, DivergenceWatch watch)
    {
        var good = watch.LastGood is { } s ? store.Find(s) : null;
        var advice = "lower optimizer.learning_rate, raise schedule.warmup_steps, or set optimizer.max_grad_norm";
        return new SiftException(good != null
            ? $"step {step}: {what}; training stopped. The last good checkpoint is {good} (finite weights, made and followed by steps whose loss " +
              $"and gradient norm were in range). To continue, {advice} and resume from it: --resume {good} " +
              "--set optimizer.learning_rate=... (optimizer and learning-rate schedule settings may change on resume)."
            : $"step {step}: {what}; training stopped. No good checkpoint was saved before it (see output.save_steps); {advice} and start again with --overwrite.");
    }

    /// <summary>Contiguous CPU views of the master weights by name, for writing.</summary>
    private sealed class NamedTensors : IDisposable
    {
        public NamedTensors(MasterWeights masters)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            Tensors = masters.Named.ToDictionary(p => p.Name, p => p.Master.detach().cpu().contiguous().MoveToOuterDisposeScope());
        }

        public Dictionary<string, Tensor> Tensors { get; }

        public void Dispose()
        {
            foreach (var t in Tensors.Values) t.Dispose();
        }
    }
}
