using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Data.Tokenization;

/// <summary>Counts of one tokenization: what was read, kept, truncated and dropped.</summary>
public sealed record TokenizationReport(DatasetStatistics Read, long Kept, long Truncated, long DroppedTooLong, long DroppedNothingTrained)
{
    public override string ToString() =>
        $"{Kept} examples kept of {Read.Examples}; {Truncated} truncated, {DroppedTooLong} dropped as too long, " +
        $"{DroppedNothingTrained} dropped with no trained token";
}

/// <summary>A data file tokenized for one model, template and settings: the input of training, scoring and evaluation.</summary>
public sealed record TokenizedDataset(IReadOnlyList<TokenizedExample> Examples, TokenizationReport Report)
{
    /// <summary>
    /// Reads <paramref name="dataPath"/> and tokenizes every conversation.
    /// <paramref name="cacheDir"/>, when given, is where tokenized datasets are cached by a content hash of their inputs.
    /// </summary>
    public static TokenizedDataset LoadOrBuild(string dataPath, DatasetOptions readOptions, ExampleTokenizer tokenizer, string? cacheDir = null)
    {
        tokenizer.Options.Validate();
        var stats = new DatasetStatistics();
        var examples = new List<TokenizedExample>();
        long truncated = 0, tooLong = 0, nothing = 0;
        foreach (var conversation in DatasetReader.Read(dataPath, readOptions, stats))
        {
            var (example, outcome) = tokenizer.Tokenize(conversation);
            switch (outcome)
            {
                case TokenizationOutcome.Truncated: truncated++; break;
                case TokenizationOutcome.DroppedTooLong: tooLong++; break;
                case TokenizationOutcome.DroppedNothingTrained: nothing++; break;
            }
            if (example != null) examples.Add(example);
        }
        return new TokenizedDataset(examples, new TokenizationReport(stats, examples.Count, truncated, tooLong, nothing));
    }

    /// <summary>The tokenizer and template of the model in <paramref name="modelDir"/>.</summary>
    public static ExampleTokenizer TokenizerFor(string modelDir, TokenizationOptions options, string? templateOverride = null) =>
        new(ModelTokenizer.Load(modelDir), ChatTemplate.ForModel(modelDir, templateOverride), options);
}
