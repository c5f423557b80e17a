using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Models.Llama2c;

/// <summary>`sift convert llama2c`: a llama2.c checkpoint to a Hugging Face model folder.</summary>
public static class Llama2cImporter
{
    public static void Convert(string checkpoint, string outDir, string? sentencePieceModel = null)
    {
        if (sentencePieceModel != null && !File.Exists(sentencePieceModel))
            throw new SiftException($"tokenizer '{sentencePieceModel}' not found; pass the SentencePiece tokenizer.model the checkpoint was trained with");
        var (config, weights) = Llama2cCheckpoint.Read(checkpoint);
        try
        {
            using var model = new CausalLM(config);
            model.LoadWeights(weights, $"llama2.c checkpoint '{checkpoint}'");
            ModelFolder.Save(model, outDir);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        if (sentencePieceModel == null) return;
        AtomicFile.WriteAllBytes(Path.Combine(outDir, "tokenizer.model"), File.ReadAllBytes(sentencePieceModel));
        var tokenizerConfig = new JsonObject
        {
            ["tokenizer_class"] = "LlamaTokenizer", ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
            ["add_bos_token"] = true, ["add_eos_token"] = false, ["model_max_length"] = config.MaxPositionEmbeddings,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer_config.json"), tokenizerConfig.ToJsonString(new() { WriteIndented = true }) + "\n");
    }
}
