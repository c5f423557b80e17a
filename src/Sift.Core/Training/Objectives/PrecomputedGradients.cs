using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>
/// A loss whose gradients were computed by hand: value + s − detach(s) with s = Σ_i Σ x_i ⊙ g_i.
/// Its value is exactly <c>value</c> (s − detach(s) is 0) and its gradient with respect to each x_i
/// is exactly g_i, so autograd carries the precomputed gradients on through the rest of the graph.
/// Exact only when the weights of the loss were fixed when the gradients were computed.
/// </summary>
internal static class PrecomputedGradients
{
    /// <param name="value">The loss value (a scalar, no gradient).</param>
    /// <param name="gradients">Each input with its gradient (cast to the input's dtype).</param>
    public static Tensor Attach(Tensor value, IEnumerable<(Tensor Input, Tensor Gradient)> gradients)
    {
        using var scope = NewDisposeScope();
        var s = zeros([], ScalarType.Float32, value.device);
        foreach (var (input, gradient) in gradients)
            s = s.Plus((input * gradient.to_type(input.dtype)).sum().to_type(ScalarType.Float32));
        return value.to_type(ScalarType.Float32).Plus(s - s.detach()).MoveToOuterDisposeScope();
    }
}
