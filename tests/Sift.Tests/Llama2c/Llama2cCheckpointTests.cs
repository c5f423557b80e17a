using Sift.Generation;
using Sift.Models;
using Sift.Models.Llama2c;
using Sift.Models.Safetensors;
using Sift.Tests.Reference;
using static TorchSharp.torch;

namespace Sift.Tests.Llama2c;

public class Llama2cCheckpointTests
{
    private static CausalLM RandomModel(bool tied, int kvHeads, int vocab = 96, long seed = 4)
    {
        var config = ModelConfig.Create(vocabSize: vocab, hiddenSize: 48, intermediateSize: 80, numLayers: 2, numHeads: 6,
            numKvHeads: kvHeads, maxPositionEmbeddings: 64, rmsNormEps: 1e-5, tieWordEmbeddings: tied);
        var model = new CausalLM(config);
        model.InitializeWeights(seed, std: 0.3);
        return model;
    }

    [Fact]
    public void ImportingStories260KGivesTheTensorsOfAnIndependentConverter()
    {
        var (config, weights) = Llama2cCheckpoint.Read(Paths.Asset("models", "stories260K", "stories260K.bin"));
        var reference = SafetensorsCheckpoint.Load(Paths.Asset("models", "stories260K-hf"));
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal((64, 172, 5, 8, 4, 512, 512), (config.HiddenSize, config.IntermediateSize, config.NumLayers, config.NumHeads, config.NumKvHeads, config.VocabSize, config.MaxPositionEmbeddings));
        Assert.Equal(reference.Keys.Where(k => k != "lm_head.weight").Order(), weights.Keys.Order());
        foreach (var (name, t) in weights) Assert.True(t.eq(reference[name]).all().item<bool>(), name);
    }

    [Theory]
    [InlineData(0, false, 2)]
    [InlineData(0, true, 3)]
    [InlineData(1, false, 6)]
    [InlineData(1, true, 2)]
    public void ExportThenImportIsTheIdentity(int version, bool tied, int kvHeads)
    {
        using var model = RandomModel(tied, kvHeads);
        var path = Path.Combine(Paths.NewTempDir(), "m.bin");
        var weights = model.ExportWeights();
        Llama2cCheckpoint.Write(path, model.Config, weights, version);
        var (config, back) = Llama2cCheckpoint.Read(path);
        Assert.Equal(tied, config.TieWordEmbeddings);
        Assert.Equal(weights.Keys.Order(), back.Keys.Order());
        foreach (var (name, t) in weights) Assert.True(t.eq(back[name]).all().item<bool>(), name);
    }

    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 6)]
    public void RunCGeneratesWhatSiftGeneratesOnAnExportedModel(bool tied, int kvHeads)
    {
        using var model = RandomModel(tied, kvHeads, vocab: 96, seed: 11);
        var path = Path.Combine(Paths.NewTempDir(), "m.bin");
        Llama2cCheckpoint.Write(path, model.Config, model.ExportWeights());
        var runc = RunC.GreedyIdsFromBos(path, 96, 40);
        // run.c stops when it samples BOS (id 1); so does this comparison.
        var sift = TextGenerator.Generate(model, [1], 40, new SamplingOptions(), new HashSet<int> { 1 }).ToArray();
        Assert.True(runc.Length >= 10, $"run.c produced only {runc.Length} tokens");
        Assert.Equal(runc, sift);
    }

    [Fact]
    public void ConvertWritesAFolderThatGeneratesTheOracleStory()
    {
        var dir = Paths.NewTempDir();
        Llama2cImporter.Convert(Paths.Asset("models", "stories260K", "stories260K.bin"), dir, Paths.Asset("models", "stories260K", "tok512.model"));
        Assert.True(File.Exists(Path.Combine(dir, "tokenizer.model")));
        using var model = ModelFolder.Load(dir);
        var oracle = File.ReadAllText(Paths.Asset("reference", "llama2c", "oracle", "stories260K_greedy_ids_n64.txt")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
        Assert.Equal(oracle, TextGenerator.Generate(model, [1], 64, new SamplingOptions(), new HashSet<int>()));
    }

    [Fact]
    public void TruncatedOrImplausibleFilesAreRejected()
    {
        var dir = Paths.NewTempDir();
        var bytes = File.ReadAllBytes(Paths.Asset("models", "stories260K", "stories260K.bin"));
        File.WriteAllBytes(Path.Combine(dir, "cut.bin"), bytes[..(bytes.Length - 4)]);
        Assert.Contains("truncated", Assert.Throws<SiftException>(() => Llama2cCheckpoint.Read(Path.Combine(dir, "cut.bin"))).Message);
        File.WriteAllBytes(Path.Combine(dir, "junk.bin"), new byte[64]);
        Assert.Contains("implausible", Assert.Throws<SiftException>(() => Llama2cCheckpoint.Read(Path.Combine(dir, "junk.bin"))).Message);
        using var qwen = new CausalLM(ModelConfig.Create(64, 32, 48, 1, 4, ropeTheta: 1e6));
        Assert.Contains("plain Llama", Assert.Throws<SiftException>(() => Llama2cCheckpoint.Write(Path.Combine(dir, "q.bin"), qwen.Config, qwen.ExportWeights())).Message);
    }
}

public class ConvertCommandTests
{
    [Fact]
    public void ConvertsFromTheCommandLineAndReportsBadInputInOneLine()
    {
        var dir = Path.Combine(Paths.NewTempDir(), "out");
        var (code, _, stderr) = CliRunner.Run("convert", "llama2c", Paths.Asset("models", "stories260K", "stories260K.bin"), dir, "--tokenizer", Paths.Asset("models", "stories260K", "tok512.model"));
        Assert.Equal(0, code);
        Assert.Contains("wrote", stderr);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")) && File.Exists(Path.Combine(dir, "config.json")));

        (code, _, stderr) = CliRunner.Run("convert", "llama2c", "/no/such.bin", dir);
        Assert.Equal(1, code);
        Assert.StartsWith("error: llama2.c checkpoint '/no/such.bin' not found", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
