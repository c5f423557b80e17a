namespace Sift.Eval;

/// <summary>One prompt's checks: per instruction true/false (strict and loose), or null where the instruction id is unsupported.</summary>
public sealed record IfEvalPromptResult(string Key, IReadOnlyList<string> InstructionIds, IReadOnlyList<bool?> Followed, IReadOnlyList<bool?> FollowedLoose)
{
    /// <summary>Every instruction followed strictly; null when one of them cannot be checked.</summary>
    public bool? FollowedAll => All(Followed);

    /// <summary>Every instruction followed loosely; null when one of them cannot be checked.</summary>
    public bool? FollowedAllLoose => All(FollowedLoose);

    private static bool? All(IReadOnlyList<bool?> followed) => followed.Any(f => f is null) ? null : followed.All(f => f == true);
}

/// <summary>How often one instruction id was followed, strictly and loosely.</summary>
public sealed record IfEvalInstructionStat(string Id, int Count, int Followed, int FollowedLoose)
{
    public double Accuracy => Count == 0 ? double.NaN : (double)Followed / Count;
    public double LooseAccuracy => Count == 0 ? double.NaN : (double)FollowedLoose / Count;
}

/// <summary>
/// IFEval strict and loose accuracy (<see cref="IfEvalVerdicts"/>). Per prompt: the share of
/// prompts whose every instruction is followed, over the prompts whose instructions are all
/// supported. Per instruction: the share of followed instructions over the supported ones.
/// Unsupported instruction ids are counted and listed, and prompts without a response (too long
/// for the model) are counted; neither is passed or failed.
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
    public double PromptLooseAccuracy => PromptsScored == 0 ? double.NaN : (double)Prompts.Count(p => p.FollowedAllLoose == true) / PromptsScored;
    public int InstructionsScored => PerInstruction.Sum(s => s.Count);
    public double InstructionAccuracy => InstructionsScored == 0 ? double.NaN : (double)PerInstruction.Sum(s => s.Followed) / InstructionsScored;
    public double InstructionLooseAccuracy => InstructionsScored == 0 ? double.NaN : (double)PerInstruction.Sum(s => s.FollowedLoose) / InstructionsScored;

    /// <param name="responses">The response to each prompt, in the same order; null when none was generated.</param>
    public static IfEvalResult Score(IReadOnlyList<IfEvalPrompt> prompts, IReadOnlyList<string?> responses)
    {
        if (prompts.Count != responses.Count) throw new ArgumentException("one response per prompt is needed");
        var results = new List<IfEvalPromptResult>();
        var stats = new SortedDictionary<string, (int Count, int Followed, int Loose)>(StringComparer.Ordinal);
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
            var strict = new bool?[prompt.InstructionIds.Count];
            var loose = new bool?[strict.Length];
            for (int i = 0; i < strict.Length; i++)
            {
                var id = prompt.InstructionIds[i];
                try
                {
                    strict[i] = IfEvalVerdicts.Strict(id, response, prompt.Kwargs[i]);
                    loose[i] = IfEvalVerdicts.Loose(id, response, prompt.Kwargs[i]);
                }
                catch (SiftException e)
                {
                    throw new SiftException($"{prompt.Source}: key {prompt.Key}, kwargs[{i}]: {e.Message}", e);
                }
                if (strict[i] is not { } ok)
                {
                    unsupported[id] = unsupported.GetValueOrDefault(id) + 1;
                    continue;
                }
                var s = stats.GetValueOrDefault(id);
                stats[id] = (s.Count + 1, s.Followed + (ok ? 1 : 0), s.Loose + (loose[i] == true ? 1 : 0));
            }
            results.Add(new IfEvalPromptResult(prompt.Key, prompt.InstructionIds, strict, loose));
        }
        return new IfEvalResult(results, stats.Select(kv => new IfEvalInstructionStat(kv.Key, kv.Value.Count, kv.Value.Followed, kv.Value.Loose)).ToList(),
            unsupported, notGenerated);
    }
}
