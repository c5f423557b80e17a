using Sift.Models;
using Sift.Tests.Models;
using Sift.Training.Lora;
using static TorchSharp.torch;

namespace Sift.Tests.Training.Lora;

internal static class LoraTestModels
{
    public static readonly Tensor Ids = tensor(new long[] { 1, 9, 4, 33, 21, 7, 60, 2, 5, 17, 3, 44 }).reshape(2, 6);

    /// <summary>Gives every B random values so that the adapter changes the output (B starts at zero).</summary>
    public static void RandomizeB(LoraAdapter adapter, long seed, double std = 0.3)
    {
        using var _ = no_grad();
        var g = new Generator((ulong)seed);
        foreach (var (name, p) in adapter.Parameters.Where(p => p.Name.Contains(".lora_B.")))
            p.normal_(0, std, g);
    }

    public static Tensor Logits(CausalLM model, Tensor? ids = null)
    {
        using var _ = no_grad();
        using var output = model.Forward(ids ?? Ids);
        return output.Logits!.clone();
    }

    public static CausalLM Tiny(long seed = 1) => CausalLMTests.TinyModel(seed: seed);
}
