using System.Globalization;
using System.Numerics;
using Sift.Models.Safetensors;
using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter; the update of torch.optim.AdamW) as one pass over each parameter:
/// read the gradient, scale it for clipping, decay and update the weight and both moments, write
/// the bf16 model copy when the weights are fp32 masters, and zero the gradient. TorchSharp's AdamW
/// plus clip_grad_norm_ stream about 23 parameter-sized arrays through memory per step and allocate
/// two temporaries; this streams 8 (the gradients once for the norm, then weight, gradient and two
/// moments read and three written back). On 100M fp32 parameters: 2.2 s → 0.1 s per step.
/// Elements are independent and the gradient norm is summed per fixed chunk in double, so results
/// do not depend on the thread count. Moments have the master's dtype (fp32, or bf16 for pure bf16
/// training, computed in fp32 and rounded once). A parameter without a gradient is stepped with a
/// zero gradient. Parameters off the CPU take <see cref="FusedAdamWTwin"/>, the same step in libtorch
/// operations (<see cref="KernelChoice"/>).
/// </summary>
public sealed unsafe class FusedAdamW : IDisposable
{
    /// <summary>One trained tensor: the weight the optimizer owns, the model parameter whose gradient it reads (the same tensor unless the master is a separate fp32 copy), and its weight decay.</summary>
    public sealed record Entry(string Name, TorchSharp.Modules.Parameter Master, TorchSharp.Modules.Parameter Model, double WeightDecay);

    private const int Chunk = 8192;
    private readonly List<Entry> _entries;
    private readonly List<(Tensor ExpAvg, Tensor ExpAvgSq)> _moments = [];
    private readonly List<(int Entry, long Start, int Count)> _chunks = [];
    private readonly double _beta1, _beta2, _eps;

    public FusedAdamW(IEnumerable<Entry> entries, double beta1, double beta2, double eps)
    {
        _entries = entries.ToList();
        (_beta1, _beta2, _eps) = (beta1, beta2, eps);
        for (int e = 0; e < _entries.Count; e++)
        {
            var master = _entries[e].Master;
            _moments.Add((zeros_like(master), zeros_like(master)));
            for (long start = 0, n = master.numel(); start < n; start += Chunk) _chunks.Add((e, start, (int)Math.Min(Chunk, n - start)));
        }
    }

    /// <summary>Optimizer steps taken (the bias corrections use it).</summary>
    public long Steps { get; private set; }

    /// <summary>The global L2 norm of the gradients (what torch.nn.utils.clip_grad_norm_ reports).</summary>
    public double GradientNorm()
    {
        if (!CpuKernel) return FusedAdamWTwin.GradientNorm(_entries.Select(e => e.Model.grad));
        using var scope = NewDisposeScope();
        var views = Views();
        var sums = new double[_chunks.Count];
        Parallel.For(0, _chunks.Count, Threads(), () => new float[Chunk], (c, _, buffer) =>
        {
            var (e, start, count) = _chunks[c];
            if (views[e].Grad.Address == null) return buffer;
            fixed (float* b = buffer) sums[c] = SumOfSquares(views[e].Grad.Floats(start, count, b), count);
            return buffer;
        }, _ => { });
        double total = 0;
        foreach (var s in sums) total += s;
        return Math.Sqrt(total);
    }

    /// <summary>One AdamW step at learning rate <paramref name="lr"/> on the gradients times <paramref name="gradScale"/> (the clipping factor); the gradients are zero afterwards.</summary>
    public void Step(double lr, double gradScale)
    {
        Steps++;
        double bc1 = 1 - Math.Pow(_beta1, Steps), bc2 = 1 - Math.Pow(_beta2, Steps);
        var k = new AdamWCoefficients((float)gradScale, (float)_beta1, (float)(1 - _beta1), (float)_beta2, (float)(1 - _beta2),
                                      (float)Math.Sqrt(bc2), (float)_eps, (float)(lr / bc1));
        if (!CpuKernel)
        {
            for (int e = 0; e < _entries.Count; e++)
                FusedAdamWTwin.Step(_entries[e], _moments[e].ExpAvg, _moments[e].ExpAvgSq, (float)(1 - lr * _entries[e].WeightDecay), k);
            return;
        }
        using var scope = NewDisposeScope();
        var views = Views();
        Parallel.For(0, _chunks.Count, Threads(), () => new float[4 * Chunk], (c, _, buffer) =>
        {
            var (e, start, count) = _chunks[c];
            var view = views[e];
            fixed (float* b = buffer)
            {
                float* gs = view.Grad.Address != null ? view.Grad.Floats(start, count, b) : Zeros(b, count);
                float* ps = view.Master.Floats(start, count, b + Chunk);
                float* ms = view.ExpAvg.Floats(start, count, b + 2 * Chunk);
                float* vs = view.ExpAvgSq.Floats(start, count, b + 3 * Chunk);
                Update(ps, gs, ms, vs, count, (float)(1 - lr * _entries[e].WeightDecay), k);
                view.Master.Store(ps, start, count);
                view.ExpAvg.Store(ms, start, count);
                view.ExpAvgSq.Store(vs, start, count);
                if (view.Model.Address != view.Master.Address) view.Model.Store(ps, start, count);
                if (view.Grad.Address != null) view.Grad.Clear(start, count);
            }
            return buffer;
        }, _ => { });
    }

    private bool CpuKernel => _entries.Count == 0 || KernelChoice.CpuKernel(_entries[0].Master);

    // torch.optim.AdamW's arithmetic in its order of operations, in fp32: p·(1−lr·wd);
    // m·β1 + (1−β1)·g; v·β2 + (1−β2)·g²; p − (lr/bc1)·m/(√v/√bc2 + ε). The vector loop and the
    // scalar tail round identically, so where chunks end does not change any element.
    private static void Update(float* p, float* g, float* m, float* v, int n, float decay, AdamWCoefficients k)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (scale, b1, c1, b2, c2) = (new Vector<float>(k.Scale), new Vector<float>(k.Beta1), new Vector<float>(k.OneMinusBeta1), new Vector<float>(k.Beta2), new Vector<float>(k.OneMinusBeta2));
            var (sqrtBc2, eps, stepSize, d) = (new Vector<float>(k.SqrtBc2), new Vector<float>(k.Eps), new Vector<float>(k.StepSize), new Vector<float>(decay));
            for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
            {
                var gi = Vector.Load(g + i) * scale;
                var mi = Vector.Load(m + i) * b1 + c1 * gi;
                var vi = Vector.Load(v + i) * b2 + c2 * (gi * gi);
                var denom = Vector.SquareRoot(vi) / sqrtBc2 + eps;
                Vector.Store(Vector.Load(p + i) * d - stepSize * (mi / denom), p + i);
                Vector.Store(mi, m + i);
                Vector.Store(vi, v + i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i] * k.Scale;
            m[i] = m[i] * k.Beta1 + k.OneMinusBeta1 * gi;
            v[i] = v[i] * k.Beta2 + k.OneMinusBeta2 * (gi * gi);
            float denom = MathF.Sqrt(v[i]) / k.SqrtBc2 + k.Eps;
            p[i] = p[i] * decay - k.StepSize * (m[i] / denom);
        }
    }

    private static double SumOfSquares(float* x, int n)
    {
        int i = 0;
        var acc = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.Load(x + i), out var lo, out var hi);
                acc += lo * lo + hi * hi;
            }
        double sum = Vector.Sum(acc);
        for (; i < n; i++) sum += (double)x[i] * x[i];
        return sum;
    }

    private static float* Zeros(float* buffer, int count)
    {
        new Span<float>(buffer, count).Clear();
        return buffer;
    }

    /// <summary>The storage of one entry's tensors for this step (the gradient made contiguous in place if autograd left it strided; null address when there is none).</summary>
    private EntryView[] Views() => _entries.Select((e, i) =>
    {
        var g = e.Model.grad;
        if (g is not null && !g.is_contiguous())
        {
            using var _ = no_grad();
            e.Model.grad = g.contiguous();
            g = e.Model.grad;
        }
        return new EntryView(Storage.Of(e.Master), Storage.Of(e.Model), g is null ? default : Storage.Of(g), Storage.Of(_moments[i].ExpAvg), Storage.Of(_moments[i].ExpAvgSq));
    }).ToArray();

    private readonly record struct EntryView(Storage Master, Storage Model, Storage Grad, Storage ExpAvg, Storage ExpAvgSq);

    /// <summary>A contiguous fp32 or bf16 CPU tensor's elements.</summary>
    private readonly struct Storage(void* address, bool bf16)
    {
        public void* Address { get; } = address;

        public static Storage Of(Tensor t) => new(TensorMemory.Pointer(t, "optimizer"), t.dtype == ScalarType.BFloat16);

        /// <summary>Elements [start, start+count) as float32: in place for fp32, widened into <paramref name="buffer"/> for bf16.</summary>
        public float* Floats(long start, int count, float* buffer)
        {
            if (!bf16) return (float*)Address + start;
            TensorMemory.Widen((ushort*)Address + start, buffer, count);
            return buffer;
        }

        public void Store(float* values, long start, int count)
        {
            if (bf16) { TensorMemory.Narrow(values, (ushort*)Address + start, count); return; }
            float* dst = (float*)Address + start;
            if (dst != values) new ReadOnlySpan<float>(values, count).CopyTo(new Span<float>(dst, count));
        }

        public void Clear(long start, int count)
        {
            if (bf16) new Span<ushort>((ushort*)Address + start, count).Clear();
            else new Span<float>((float*)Address + start, count).Clear();
        }
    }

    private static ParallelOptions Threads() => new() { MaxDegreeOfParallelism = WorkerThreads.Count };

    /// <summary>Writes the moments and the step count (safetensors: exp_avg.NAME, exp_avg_sq.NAME; metadata step).</summary>
    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor>();
        for (int e = 0; e < _entries.Count; e++)
        {
            tensors["exp_avg." + _entries[e].Name] = _moments[e].ExpAvg;
            tensors["exp_avg_sq." + _entries[e].Name] = _moments[e].ExpAvgSq;
        }
        SafetensorsFile.Save(path, tensors, new Dictionary<string, string> { ["format"] = "sift-adamw", ["step"] = Steps.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>Restores what <see cref="Save"/> wrote; every moment must be there with this run's shape and dtype.</summary>
    public void Load(string path)
    {
        if (!File.Exists(path))
            throw new SiftException($"{path}: the checkpoint has no optimizer state; it was written by an older Sift or is incomplete. Resume from another checkpoint or start the run again");
        var header = SafetensorsHeader.Read(path);
        if (!header.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out var steps))
            throw new SiftException($"{path}: the metadata has no valid 'step'; the optimizer state is damaged");
        var loaded = SafetensorsFile.Load(path);
        try
        {
            using var _ = no_grad();
            for (int e = 0; e < _entries.Count; e++)
                foreach (var (key, target) in new[] { ("exp_avg.", _moments[e].ExpAvg), ("exp_avg_sq.", _moments[e].ExpAvgSq) })
                {
                    if (!loaded.TryGetValue(key + _entries[e].Name, out var t) || !t.shape.SequenceEqual(target.shape) || t.dtype != target.dtype)
                        throw new SiftException($"{path}: '{key}{_entries[e].Name}' is missing or has the wrong shape or dtype; the checkpoint belongs to a different model or setup");
                    target.copy_(t);
                }
        }
        finally { foreach (var t in loaded.Values) t.Dispose(); }
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var (m, v) in _moments) { m.Dispose(); v.Dispose(); }
    }
}
