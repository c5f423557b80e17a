using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// Activation recomputation for one decoder layer: the forward runs without building a graph and
/// keeps only the layer's inputs; the backward runs the layer again with gradients on and
/// backpropagates through that copy. Parameter gradients accumulate into .grad inside that inner
/// backward; only the input's gradient goes back to the outer graph.
/// </summary>
internal sealed class LayerCheckpoint : autograd.SingleTensorFunction<LayerCheckpoint>
{
    public override string Name => nameof(LayerCheckpoint);

    /// <summary>
    /// Runs <paramref name="layer"/> on x. The layer's trainable parameters are passed as inputs
    /// too, so the step joins the graph even when x needs no gradient (frozen embeddings under LoRA).
    /// </summary>
    public static Tensor Run(DecoderLayer layer, Tensor x, Tensor cos, Tensor sin, Tensor? mask)
    {
        var trainable = layer.parameters().Where(p => p.requires_grad).Cast<object>();
        return apply([layer, x, cos, sin, mask!, .. trainable]);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (layer, x, cos, sin, mask) = ((DecoderLayer)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], vars[4] as Tensor);
        ctx.save_data("layer", layer);
        ctx.save_data("inputs", vars.Length);
        ctx.save_data("xNeedsGrad", x.requires_grad);
        // Dropout inside the layer (LoRA) must draw the same mask when the backward recomputes it.
        var rng = get_rng_state();
        ctx.save_for_backward([x, cos, sin, mask!, rng]);
        return layer.Forward(x, cos, sin, mask, null, 0);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var layer = (DecoderLayer)ctx.get_data("layer");
        int inputs = (int)ctx.get_data("inputs");
        bool xNeedsGrad = (bool)ctx.get_data("xNeedsGrad");
        var grads = new List<Tensor>(new Tensor[inputs]);
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (x, cos, sin, mask, rng) = (saved[0], saved[1], saved[2], saved[3], saved[4]);
        var outerRng = get_rng_state();
        set_rng_state(rng);
        try
        {
            using var _ = enable_grad();
            var input = x.detach().requires_grad_(xNeedsGrad);
            var output = layer.Forward(input, cos, sin, mask, null, 0);
            output.backward([gradOutput]);
            if (xNeedsGrad) grads[1] = input.grad!.MoveToOuterDisposeScope();
        }
        finally
        {
            set_rng_state(outerRng);
        }
        return grads;
    }
}
