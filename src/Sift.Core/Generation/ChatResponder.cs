using System.Text;
using Sift.Models;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Generation;

/// <summary>A chat prompt to answer: the conversation so far, ending with the user's turn.</summary>
public sealed record ChatPrompt(string Id, IReadOnlyList<ChatMessage> Messages);

/// <summary>The greedy answer to one prompt; null text when the prompt alone fills the model's context.</summary>
public sealed record ChatResponse(string Id, string? Text, int PromptTokens, int GeneratedTokens);

/// <summary>
/// Greedy answers to chat prompts, the way `sift generate --chat` produces one: each prompt rendered
/// with the model's chat template and its generation prompt, generation ended by EOS (or the
/// tokenizer's other stop ids), by the template's end-of-turn text, or by a caller's stop string.
/// Prompts of similar length are generated together in left-padded batches.
/// </summary>
public sealed class ChatResponder(CausalLM model, ModelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<string> stopStrings)
{
    public IReadOnlyList<ChatResponse> Respond(IReadOnlyList<ChatPrompt> prompts, int maxNewTokens, int batchSize, Action<int>? progress = null)
    {
        if (batchSize < 1) throw new SiftException($"batch size must be at least 1, got {batchSize}");
        var stopIds = new HashSet<int>(model.Config.EosTokenIds);
        stopIds.UnionWith(tokenizer.StopIds);
        var stops = stopStrings.Append(template.EndOfTurn).Where(s => s.Length > 0).Distinct().ToArray();

        var encoded = prompts.Select(p => tokenizer.Encode(template.Render(p.Messages, addGenerationPrompt: true).Text, addBos: false)).ToArray();
        var responses = new ChatResponse[prompts.Count];
        var fitting = new List<int>();
        for (int i = 0; i < prompts.Count; i++)
        {
            if (encoded[i].Length < model.Config.MaxPositionEmbeddings) fitting.Add(i);
            else responses[i] = new ChatResponse(prompts[i].Id, null, encoded[i].Length, 0);
        }

        int finished = prompts.Count - fitting.Count;
        foreach (var chunk in fitting.OrderBy(i => encoded[i].Length).Chunk(batchSize))
        {
            var decoders = chunk.Select(_ => tokenizer.CreateStreamingDecoder()).ToArray();
            var filters = chunk.Select(_ => new StopStringFilter(stops)).ToArray();
            var texts = chunk.Select(_ => new StringBuilder()).ToArray();
            var ids = GreedyBatchGenerator.Generate(model, chunk.Select(i => (IReadOnlyList<int>)encoded[i]).ToList(), maxNewTokens, stopIds,
                (row, soFar) =>
                {
                    texts[row].Append(filters[row].Push(decoders[row].Push(soFar[^1])));
                    return filters[row].Stopped;
                });
            for (int r = 0; r < chunk.Length; r++)
            {
                texts[r].Append(filters[r].Push(decoders[r].Flush())).Append(filters[r].Flush());
                int i = chunk[r];
                responses[i] = new ChatResponse(prompts[i].Id, texts[r].ToString(), encoded[i].Length, ids[r].Length);
            }
            finished += chunk.Length;
            progress?.Invoke(finished);
        }
        return responses;
    }
}
