using Sift.Data;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Training.Recipes;

/// <summary>
/// Plain text for pre-training, cut into blocks of equal length with every token trained (the
/// "group texts" packing of language-model pre-training). Documents are the paragraphs of a .txt
/// file (separated by blank lines), or the conversations of any instruction data file rendered
/// with a chat template. Each document starts with BOS and ends with EOS.
/// </summary>
public static class PretrainCorpus
{
    public static List<TokenizedExample> Build(string path, DatasetOptions readOptions, ModelTokenizer tokenizer, ChatTemplate template, int blockLength)
    {
        var stream = new List<int>();
        var documents = Documents(path, readOptions, template);
        // A data file stops at the limit as it is read; a text file's documents (paragraphs) are counted here.
        if (readOptions.Limit is int limit && IsText(path)) documents = documents.Take(limit);
        foreach (var document in documents)
        {
            stream.AddRange(tokenizer.Encode(document, addBos: tokenizer.BosId != null));
            if (tokenizer.EosId is int eos && (stream.Count == 0 || stream[^1] != eos)) stream.Add(eos);
        }
        var blocks = new List<TokenizedExample>();
        for (int start = 0; start + blockLength <= stream.Count; start += blockLength)
        {
            var trained = Enumerable.Repeat(true, blockLength).ToArray();
            trained[0] = false;
            blocks.Add(new TokenizedExample($"block-{blocks.Count:D6}", stream.GetRange(start, blockLength).ToArray(), trained));
        }
        if (blocks.Count == 0)
            throw new SiftException($"{path}: {stream.Count} tokens make no block of max_length {blockLength}; lower data.max_length or add text");
        return blocks;
    }

    private static bool IsText(string path) => path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> Documents(string path, DatasetOptions readOptions, ChatTemplate template)
    {
        if (!File.Exists(path)) throw new SiftException($"{path}: text file not found");
        if (IsText(path))
        {
            var paragraph = new List<string>();
            foreach (var line in File.ReadLines(path))
            {
                if (line.Trim().Length == 0)
                {
                    if (paragraph.Count > 0) yield return string.Join('\n', paragraph);
                    paragraph.Clear();
                }
                else paragraph.Add(line);
            }
            if (paragraph.Count > 0) yield return string.Join('\n', paragraph);
            yield break;
        }
        foreach (var conversation in DatasetReader.Read(path, readOptions))
            yield return template.Render(conversation.Messages, addGenerationPrompt: false).Text;
    }
}
