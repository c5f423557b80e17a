using Sift.IO;
using Sift.Models;

namespace Sift.Scoring;

/// <summary>
/// Checks that several model folders are one model at different points of training (base and
/// reference, or the checkpoints of one run): the same architecture and shapes, and the same
/// tokenizer files, so every model scores exactly the same tokens.
/// </summary>
public static class ModelCompatibility
{
    public static void Check(IReadOnlyList<string> modelDirs, string what)
    {
        var first = ModelConfig.Load(modelDirs[0]);
        var firstTokenizer = TokenizerHash(modelDirs[0]);
        foreach (var dir in modelDirs.Skip(1))
        {
            var other = ModelConfig.Load(dir);
            var difference = Difference(first, other);
            if (difference != null)
                throw new SiftException($"'{dir}' is a different model from '{modelDirs[0]}' ({difference}); {what}");
            if (TokenizerHash(dir) != firstTokenizer)
                throw new SiftException($"'{dir}' has different tokenizer files from '{modelDirs[0]}'; {what}");
        }
    }

    private static string? Difference(ModelConfig a, ModelConfig b)
    {
        (string Name, object A, object B)[] fields =
        [
            ("architecture", a.Architecture, b.Architecture),
            ("hidden_size", a.HiddenSize, b.HiddenSize),
            ("intermediate_size", a.IntermediateSize, b.IntermediateSize),
            ("num_hidden_layers", a.NumLayers, b.NumLayers),
            ("num_attention_heads", a.NumHeads, b.NumHeads),
            ("num_key_value_heads", a.NumKvHeads, b.NumKvHeads),
            ("head_dim", a.HeadDim, b.HeadDim),
            ("vocab_size", a.VocabSize, b.VocabSize),
            ("tie_word_embeddings", a.TieWordEmbeddings, b.TieWordEmbeddings),
            ("rope_theta", a.RopeTheta, b.RopeTheta),
        ];
        foreach (var (name, x, y) in fields)
            if (!x.Equals(y)) return $"{name} {x} vs {y}";
        return null;
    }

    private static string TokenizerHash(string dir) => ContentHash.OfString(string.Join("\n",
        ModelFolder.TokenizerFiles.Select(f => Path.Combine(dir, f)).Where(File.Exists)
            .Select(p => Path.GetFileName(p) + ":" + ContentHash.OfFile(p))));
}
