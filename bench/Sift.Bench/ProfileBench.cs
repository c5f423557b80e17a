using System.Diagnostics;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Bench;

/// <summary>
/// Where a training step's time goes (`sift-bench profile`): the trainer's phases on the real model
/// (forward, fused loss, backward, gradient norm, AdamW), then each kind of operation at the step's
/// shapes in isolation, forward and backward, with matmul rates against the n³ peak measured here.
/// libtorch on CPU runs every op synchronously, so a stopwatch around a call times that call.
/// </summary>
public static class ProfileBench
{
    private static int _repeats = 3;

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var config = TrainingBench.Config(Arg("--model", "stories15m"));
        var precision = Arg("--dtype", "bf16") == "bf16" ? Precision.Bfloat16Mixed : Precision.Float32;
        var dtype = precision == Precision.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
        int batch = int.Parse(Arg("--batch", "8")), length = int.Parse(Arg("--length", "512"));
        _repeats = int.Parse(Arg("--repeats", "3"));
        bool opsOnly = args.Contains("--ops-only"), stepOnly = args.Contains("--step-only");

        double peak = MatmulPeak.GflopsPerSecond(dtype);
        Console.WriteLine($"{Arg("--model", "stories15m")} {dtype} {batch}x{length}, {TorchSharp.torch.get_num_threads()} threads; matmul peak 2048^3: {peak:F0} GFLOP/s");
        double stepSeconds = stepOnly || !opsOnly ? Step(config, precision, batch, length) : double.NaN;
        if (!stepOnly) Ops(config, dtype, batch, length, peak, stepSeconds);
        return 0;
    }

    /// <summary>The trainer's phases, best of the repeats after one warm-up step. Returns the best whole step.</summary>
    private static double Step(ModelConfig config, Precision precision, int batch, int length)
    {
        var options = new TrainingOptions { Precision = precision, PerDeviceTrainBatchSize = batch };
        using var model = new CausalLM(config, options.ComputeDType);
        model.InitializeWeights(0);
        model.train();
        var target = new FullModelTarget(model, null, ScalarType.Float32);
        using var masters = new MasterWeights(target.Trainable, precision);
        using var optimizer = new FusedAdamW(masters.OptimizerEntries(0.0), 0.9, 0.999, 1e-8);
        var examples = TrainingBench.RandomExamples(config, batch, length, firstTrained: 1);
        var objective = new NextTokenObjective();
        var phases = new Dictionary<string, double>();
        double best = double.MaxValue;
        for (int r = 0; r <= _repeats; r++)
        {
            var times = new Dictionary<string, double>();
            var sw = Stopwatch.StartNew();
            double Lap() { double s = sw.Elapsed.TotalSeconds; sw.Restart(); return s; }
            var total = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                using var tokens = TokenBatch.Padded(examples);
                Lap();
                var embeddings = model.Embed(tokens.InputIds);
                using var output = model.ForwardEmbeddings(embeddings, tokens.Layout, computeLogits: false);
                times["forward (embed, layers, norm)"] = Lap();
                using var trained = ResponseTokens.Rows(output.Hidden, tokens);
                times["select the trained rows"] = Lap();
                var loss = FusedLinearCrossEntropy.Compute(trained.Hidden, model.LmHeadWeight, trained.Gold, 1.0 / tokens.TrainedTokens);
                times["fused LM head + loss (fwd+bwd)"] = Lap();
                loss.Loss.backward();
                times["backward"] = Lap();
                loss.Dispose();
            }
            times["free step tensors"] = Lap();
            double norm = optimizer.GradientNorm();
            times["gradient norm"] = Lap();
            optimizer.Step(1e-4, Trainer.ClipScale(norm, 1.0));
            times["AdamW (+bf16 model copy)"] = Lap();
            double whole = total.Elapsed.TotalSeconds;
            if (r == 0) continue;
            foreach (var (k, v) in times) phases[k] = Math.Min(phases.GetValueOrDefault(k, double.MaxValue), v);
            best = Math.Min(best, whole);
        }
        double sum = phases.Values.Sum();
        Console.WriteLine($"\ntrainer step, best of {_repeats} per phase: {best:F3} s whole step ({(double)batch * length / best:F0} tok/s)");
        foreach (var (k, v) in phases) Console.WriteLine($"  {k,-34} {v,8:F3} s {100 * v / sum,5:F1}%");
        return best;
    }

    /// <summary>Each kind of op at the step's shapes, forward and backward, times how often one step runs it.</summary>
    private static void Ops(ModelConfig c, ScalarType dtype, int batch, int length, double peak, double stepSeconds)
    {
        long bt = (long)batch * length, d = c.HiddenSize, f = c.IntermediateSize, v = c.VocabSize, hd = c.HeadDim;
        int layers = c.NumLayers;
        var rows = new List<(string Name, double Fwd, double Bwd, double Flops)>();
        Console.WriteLine($"\nops in isolation (x count per step): forward / backward seconds, GFLOP/s, % of peak");

        void Linear(string name, long inF, long outF, int count)
        {
            var x = Rand(dtype, bt, inF).requires_grad_(true);
            var w = Rand(dtype, outF, inF).requires_grad_(true);
            var (fwd, bwd) = Time(() => F.linear(x, w), [x, w]);
            rows.Add(($"{name} [{bt}x{inF}]x[{inF}x{outF}] x{count}", count * fwd, count * bwd, count * 6.0 * bt * inF * outF));
        }
        Linear("q/k/v/o proj", d, c.NumHeads * hd, 4 * layers);
        Linear("gate/up proj", d, f, 2 * layers);
        Linear("down proj", f, d, layers);

        // The fused LM head + loss as the trainer calls it (its gradients come out of the forward), and its three
        // products with the head alone at its chunk's rows (twice the rows for a bf16 head: the same 64 MiB).
        {
            long trained = bt - batch;
            var h = Rand(dtype, trained, d).requires_grad_(true);
            var head = Rand(dtype, v, d).requires_grad_(true);
            var gold = randint(0, v, [trained]);
            var (fwd, bwd) = Time(() => FusedLinearCrossEntropy.Compute(h, head, gold, 1.0 / trained).Loss, [h, head]);
            rows.Add(($"LM head + loss, FusedLinearCrossEntropy [{trained}x{d}], head [{v}x{d}]", fwd, bwd, 6.0 * trained * d * v));
            long chunk = Math.Max(1, FusedLinearCrossEntropy.ChunkElements / v) * (dtype == ScalarType.BFloat16 ? 2 : 1);
            int chunks = (int)((trained + chunk - 1) / chunk);
            var hc = Rand(dtype, chunk, d);
            var dl = Rand(dtype, chunk, v);
            var logits = empty(chunk, v, dtype);
            double products = chunks * (Best(() => logits.addmm_(hc, head.detach().t(), beta: 0)) + Best(() => dl.matmul(head.detach())) + Best(() => dl.t().matmul(hc)));
            rows.Add(($"  of which its products h.W^T, d.W, d^T.h alone, [{chunk}x{d}]x[{d}x{v}] x{chunks}", products, 0, 6.0 * chunks * chunk * d * v));
        }
        {
            var norm = new RmsNorm((int)d, c.RmsNormEps, dtype);
            var x = Rand(dtype, batch, length, d).requires_grad_(true);
            var (fwd, bwd) = Time(() => norm.forward(x), [x, norm.Weight]);
            rows.Add(($"RMSNorm [{batch},{length},{d}] x{2 * layers + 1}", (2 * layers + 1) * fwd, (2 * layers + 1) * bwd, 0));
        }
        {
            using var rope = new RotaryEmbedding((int)hd, c.RopeTheta, c.RopeScaling);
            using var layout = AttentionLayout.Causal(batch, length);
            var (cos, sin) = rope.Angles(layout.Positions, dtype);
            var q = Rand(dtype, batch, length, c.NumHeads * hd).requires_grad_(true);
            var (fwd, bwd) = Time(() => RotaryEmbedding.Apply(q.view(batch, length, c.NumHeads, hd).transpose(1, 2), cos, sin), [q]);
            rows.Add(($"rotary on q or k [{batch},{c.NumHeads},{length},{hd}] x{2 * layers}", 2 * layers * fwd, 2 * layers * bwd, 0));
        }
        {
            Tensor Heads() => Rand(dtype, batch, length, c.NumHeads * hd).view(batch, length, c.NumHeads, hd).transpose(1, 2).contiguous().requires_grad_(true);
            var (q, k, vv) = (Heads(), Heads(), Heads());
            var (fwd, bwd) = Time(() => F.scaled_dot_product_attention(q, k, vv, null, 0.0, true), [q, k, vv]);
            double flops = 4.0 * batch * c.NumHeads * length * length * hd / 2; // causal: half of QK^T and PV
            rows.Add(($"SDPA causal [{batch},{c.NumHeads},{length},{hd}] x{layers}", layers * fwd, layers * bwd, layers * 3 * flops));
            var upper = ones(length, length, ScalarType.Bool).triu(1);
            double scale = 1 / Math.Sqrt(hd);
            var (mf, mb) = Time(() =>
            {
                var s = q.matmul(k.transpose(-2, -1)).mul(scale).masked_fill(upper, double.NegativeInfinity);
                return F.softmax(s, -1, ScalarType.Float32).to_type(dtype).matmul(vv);
            }, [q, k, vv]);
            rows.Add(($"  manual attention (matmul, fp32 softmax, matmul) x{layers}", layers * mf, layers * mb, layers * 3 * flops));
            var (q32, k32, v32) = (q.detach().to_type(ScalarType.Float32).requires_grad_(true), k.detach().to_type(ScalarType.Float32).requires_grad_(true), vv.detach().to_type(ScalarType.Float32).requires_grad_(true));
            var (ff, fb) = Time(() => F.scaled_dot_product_attention(q32, k32, v32, null, 0.0, true), [q32, k32, v32]);
            rows.Add(($"  SDPA in fp32 x{layers}", layers * ff, layers * fb, layers * 3 * flops));
            var o = Rand(dtype, batch, c.NumHeads, length, hd).requires_grad_(true);
            var (tf, tb) = Time(() => o.transpose(1, 2).reshape(batch, length, c.NumHeads * hd), [o]);
            rows.Add(($"attention output transpose+reshape x{layers}", layers * tf, layers * tb, 0));
        }
        {
            // The attention block as the model runs it: in training mode (what a training step runs) and in eval mode (libtorch's SDPA).
            using var attention = new Attention(c, dtype);
            using var rope = new RotaryEmbedding((int)hd, c.RopeTheta, c.RopeScaling);
            using var layout = AttentionLayout.Causal(batch, length);
            var (cos, sin) = rope.Angles(layout.Positions, dtype);
            var x = Rand(dtype, batch, length, d).requires_grad_(true);
            var leaves = attention.parameters().Select(p => (Tensor)p).Append(x).ToArray();
            foreach (var training in new[] { true, false })
            {
                attention.train(training);
                var (fwd, bwd) = Time(() => attention.Forward(x, cos, sin, null, null, 0), leaves);
                rows.Add(($"  attention block (q/k/v/o, rotary, core) in {(training ? "training" : "eval")} mode x{layers}", layers * fwd, layers * bwd, 0));
            }
        }
        {
            var g = Rand(dtype, batch, length, f).requires_grad_(true);
            var u = Rand(dtype, batch, length, f).requires_grad_(true);
            var (fwd, bwd) = Time(() => F.silu(g) * u, [g, u]);
            rows.Add(($"SwiGLU silu(g)*u [{batch},{length},{f}] x{layers}", layers * fwd, layers * bwd, 0));
        }
        {
            var a = Rand(dtype, batch, length, d).requires_grad_(true);
            var b = Rand(dtype, batch, length, d).requires_grad_(true);
            var (fwd, bwd) = Time(() => a + b, [a, b]);
            rows.Add(($"residual add x{2 * layers}", 2 * layers * fwd, 2 * layers * bwd, 0));
        }
        {
            var emb = nn.Embedding(v, d, dtype: dtype);
            var ids = randint(0, v, [batch, length]);
            var (fwd, bwd) = Time(() => emb.forward(ids), [emb.weight!]);
            rows.Add(($"embedding [{v}x{d}]", fwd, bwd, 0));
        }

        double total = rows.Where(r => !r.Name.StartsWith("  ")).Sum(r => r.Fwd + r.Bwd);
        foreach (var (name, fwd, bwd, flops) in rows)
        {
            double rate = flops > 0 ? flops / (fwd + bwd) / 1e9 : double.NaN;
            Console.WriteLine($"  {name,-82} {fwd,7:F3} {bwd,7:F3} s {(name.StartsWith("  ") ? "" : $"{100 * (fwd + bwd) / total,5:F1}%")}" +
                              (flops > 0 ? $"  {rate,6:F0} GFLOP/s {100 * rate / peak,4:F0}%" : ""));
        }
        Console.WriteLine($"  sum of the ops {total:F3} s; the whole step {stepSeconds:F3} s");

        Console.WriteLine("\nmatmul rates at the step's shapes (forward x.W^T, backward dY.W and dY^T.X):");
        foreach (var (inF, outF) in new[] { (d, c.NumHeads * hd), (d, f), (f, d) })
        {
            var x = Rand(dtype, bt, inF);
            var w = Rand(dtype, outF, inF);
            var dy = Rand(dtype, bt, outF);
            double flops = 2.0 * bt * inF * outF;
            Console.WriteLine($"  [{bt}x{inF}]x[{inF}x{outF}]: linear {flops / Best(() => F.linear(x, w)) / 1e9:F0}, x.matmul(W^T contiguous) {flops / Best(() => x.matmul(w.t().contiguous())) / 1e9:F0} (incl. copy), " +
                              $"dY.W {flops / Best(() => dy.matmul(w)) / 1e9:F0}, dY^T.X {flops / Best(() => dy.t().matmul(x)) / 1e9:F0} GFLOP/s");
        }
    }

    private static Tensor Rand(ScalarType dtype, params long[] shape) => randn(shape).mul_(0.5).to_type(dtype);

    private static double Best(Func<Tensor> op)
    {
        double best = double.MaxValue;
        for (int r = 0; r <= _repeats; r++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            op();
            double s = sw.Elapsed.TotalSeconds;
            if (r > 0) best = Math.Min(best, s);
        }
        return best;
    }

    /// <summary>Forward and backward (with a random output gradient) seconds, best of the repeats after a warm-up.</summary>
    private static (double Forward, double Backward) Time(Func<Tensor> op, Tensor[] leaves)
    {
        double fwd = double.MaxValue, bwd = double.MaxValue;
        for (int r = 0; r <= _repeats; r++)
        {
            using var scope = NewDisposeScope();
            foreach (var leaf in leaves) leaf.grad = null;
            var sw = Stopwatch.StartNew();
            var y = op();
            double f = sw.Elapsed.TotalSeconds;
            var gy = randn_like(y, dtype: ScalarType.Float32).to_type(y.dtype);
            sw.Restart();
            y.backward([gy]);
            double b = sw.Elapsed.TotalSeconds;
            if (r == 0) continue;
            fwd = Math.Min(fwd, f);
            bwd = Math.Min(bwd, b);
        }
        foreach (var leaf in leaves) leaf.grad = null;
        return (fwd, bwd);
    }
}
