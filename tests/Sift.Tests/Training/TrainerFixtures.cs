using Sift.Data;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

/// <summary>Tiny models and data for trainer tests.</summary>
internal static class TrainerFixtures
{
    public static CausalLM Model(ScalarType dtype = ScalarType.Float32, long seed = 3)
    {
        var model = new CausalLM(ModelConfig.Create(vocabSize: 32, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2), dtype);
        model.InitializeWeights(seed);
        return model;
    }

    /// <summary>Examples of varying length: a "prompt" of 2–5 tokens, then a response that counts up from a start token.</summary>
    public static List<TokenizedExample> Examples(int count, long seed = 7)
    {
        var rng = new Random((int)seed);
        var list = new List<TokenizedExample>();
        for (int i = 0; i < count; i++)
        {
            int prompt = 2 + rng.Next(4), response = 3 + rng.Next(6), startToken = 3 + rng.Next(10);
            var tokens = new int[prompt + response];
            var trained = new bool[tokens.Length];
            tokens[0] = 1;
            for (int p = 1; p < prompt; p++) tokens[p] = 20 + rng.Next(10);
            tokens[prompt - 1] = startToken;
            for (int r = 0; r < response; r++) { tokens[prompt + r] = startToken + r + 1; trained[prompt + r] = true; }
            list.Add(new TokenizedExample($"ex{i}", tokens, trained));
        }
        return list;
    }

    public static TrainingOptions Options(long steps = 6) => new()
    {
        LearningRate = 3e-3, MaxSteps = steps, PerDeviceTrainBatchSize = 4, WarmupSteps = 1, Seed = 5, LoggingSteps = 1,
    };

    public static TrainingResult Train(CausalLM model, TrainingOptions options, string outDir, IReadOnlyList<TokenizedExample> data,
        ITrainingObjective? objective = null, string? resume = null, CancellationToken cancel = default, Action<StepReport>? onStep = null)
    {
        var trainer = new Trainer(new FullModelTarget(model, null, ScalarType.Float32), objective ?? new NextTokenObjective(), options, outDir) { OnStep = onStep };
        return trainer.Train(data, [], resume, cancel);
    }

    public static Dictionary<string, float[]> Weights(CausalLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to_type(ScalarType.Float32).data<float>().ToArray());

    public static string TempDir()
    {
        return Paths.NewTempDir("sift-train");
    }
}
