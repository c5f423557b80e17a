using System.Text.Json.Nodes;
using Sift.Models;

namespace Sift.Tests.Models;

/// <summary>Bad model folders get a one-line error naming the file and the fix, exit code 1, no stack trace.</summary>
public class GenerateCliErrorTests
{
    private static readonly string Stories = Paths.Asset("models", "stories260K-hf");

    /// <summary>A copy of stories260K-hf that a test may damage.</summary>
    private static string CopyOfStories()
    {
        var dir = Paths.NewTempDir("sift-bad-model");
        foreach (var f in Directory.GetFiles(Stories)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static void AssertCleanError(string[] args, params string[] expected)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
        foreach (var e in expected) Assert.Contains(e, lines[0]);
    }

    private static string[] Generate(string model) => ["generate", "--model", model, "--prompt", "Once", "--max-new-tokens", "2"];

    [Fact]
    public void MissingFolder() => AssertCleanError(Generate("/nonexistent/model"), "/nonexistent/model");

    [Fact]
    public void UnsupportedArchitecture()
    {
        var dir = CopyOfStories();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray("GPT2LMHeadModel");
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        AssertCleanError(Generate(dir), "config.json", "GPT2LMHeadModel");
    }

    [Fact]
    public void ConfigThatDoesNotMatchTheWeights()
    {
        var dir = CopyOfStories();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        config["hidden_size"] = 128;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        AssertCleanError(Generate(dir), dir, "model.embed_tokens.weight", "config.json");
    }

    [Fact]
    public void TruncatedWeights()
    {
        var dir = CopyOfStories();
        var weights = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        AssertCleanError(Generate(dir), weights);
    }

    [Fact]
    public void TokenizerLargerThanTheModelVocabulary()
    {
        var dir = CopyOfStories();
        using (var small = new CausalLM(ModelConfig.Create(vocabSize: 256, hiddenSize: 16, intermediateSize: 32, numLayers: 1, numHeads: 2)))
        {
            small.InitializeWeights(0);
            ModelFolder.Save(small, dir);
        }
        AssertCleanError(Generate(dir), "512", "256");
    }
}
