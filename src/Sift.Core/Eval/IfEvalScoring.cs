namespace Sift.Eval;

/// <summary>One prompt's checks: per instruction true/false, or null where the instruction id is unsupported.</summary>
public sealed record IfEvalPromptResult(string Key, IReadOnlyList<string> InstructionIds, IReadOnlyList<bool?> Followed)
{
    /// <summary>Every instruction followed; null when one of them cannot be checked.</summary>
    public bool? FollowedAll => Followed.Any(f => f is null) ? null : Followed.All(f => f == true);
}

/// <summary>How often one instruction id was followed.</summary>
public sealed record IfEvalInstructionStat(string Id, int Count, int Followed)
{
    public double Accuracy => Count == 0 ? double.NaN : (double)Followed / Count;
}

/// <summary>
/// IFEval strict accuracy. Per prompt: the share of prompts whose every instruction is followed, over
/// the prompts whose instructions are all supported. Per instruction: the share of followed
/// instructions over the supported ones. Unsupported instruction ids are counted and listed, and
/// prompts without a response (too long for the model) are counted; neither is passed or failed.
/// </summary>
public sealed record IfEvalResult(
    IReadOnlyList<IfEvalPromptResult> Prompts,
    IReadOnlyList<IfEvalInstructionStat> PerInstruction,
    IReadOnlyDictionary<string, int> Unsupported,
    int PromptsNotGenerated)
{
    public int PromptsScored => Prompts.Count(p => p.FollowedAll is not null);
    public int PromptsWithUnsupported => Prompts.Count(p => p.FollowedAll is null);
    public double PromptAccuracy => PromptsScored == 0 ? double.NaN : (double)Prompts.Count(p => p.FollowedAll == true) / PromptsScored;
    public int InstructionsScored => PerInstruction.Sum(s => s.Count);
    public double InstructionAccuracy => InstructionsScored == 0 ? double.NaN : (double)PerInstruction.Sum(s => s.Followed) / InstructionsScored;

    /// <param name="responses">The response to each prompt, in the same order; null when none was generated.</param>
    public static IfEvalResult Score(IReadOnlyList<IfEvalPrompt> prompts, IReadOnlyList<string?> responses)
    {
        if (prompts.Count != responses.Count) throw new ArgumentException("one response per prompt is needed");
        var results = new List<IfEvalPromptResult>();
        var stats = new SortedDictionary<string, (int Count, int Followed)>(StringComparer.Ordinal);
        var unsupported = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int notGenerated = 0;
        for (int p = 0; p < prompts.Count; p++)
        {
            var prompt = prompts[p];
            if (responses[p] is not { } response)
            {
                notGenerated++;
                continue;
            }
            var followed = new bool?[prompt.InstructionIds.Count];
            for (int i = 0; i < followed.Length; i++)
            {
                var id = prompt.InstructionIds[i];
                try
                {
                    followed[i] = InstructionChecks.Check(id, response, prompt.Kwargs[i]);
                }
                catch (SiftException e)
                {
                    throw new SiftException($"{prompt.Source}: key {prompt.Key}, kwargs[{i}]: {e.Message}", e);
                }
                if (followed[i] is not { } ok)
                {
                    unsupported[id] = unsupported.GetValueOrDefault(id) + 1;
                    continue;
                }
                var s = stats.GetValueOrDefault(id);
                stats[id] = (s.Count + 1, s.Followed + (ok ? 1 : 0));
            }
            results.Add(new IfEvalPromptResult(prompt.Key, prompt.InstructionIds, followed));
        }
        return new IfEvalResult(results, stats.Select(kv => new IfEvalInstructionStat(kv.Key, kv.Value.Count, kv.Value.Followed)).ToList(),
            unsupported, notGenerated);
    }
}
