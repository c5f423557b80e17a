using Sift.Eval;

namespace Sift.Tests.Eval;

public class IfEvalScoringTests
{
    /// <summary>Four prompts in IFEval's input_data.jsonl layout, one with an instruction Sift cannot check.</summary>
    private static List<IfEvalPrompt> Prompts()
    {
        var path = Path.Combine(Paths.NewTempDir(), "input_data.jsonl");
        File.WriteAllLines(path,
        [
            """{"key": 1, "prompt": "Write about cats without commas, in lowercase.", "instruction_id_list": ["punctuation:no_comma", "change_case:english_lowercase"], "kwargs": [{}, {}]}""",
            """{"key": 2, "prompt": "Name two fruits in at least 3 words and end with 'Done.'", "instruction_id_list": ["length_constraints:number_words", "startend:end_checker"], "kwargs": [{"relation": "at least", "num_words": 3}, {"end_phrase": "Done."}]}""",
            """{"key": 3, "prompt": "Answer in German with a title.", "instruction_id_list": ["language:response_language", "detectable_format:title"], "kwargs": [{"language": "de"}, {}]}""",
            """{"key": 4, "prompt": "Say hi with 2 placeholders.", "instruction_id_list": ["detectable_content:number_placeholders"], "kwargs": [{"num_placeholders": 2}]}""",
        ]);
        return IfEvalPrompts.Read(path);
    }

    [Fact]
    public void StrictAccuracyPerPromptAndPerInstruction()
    {
        var result = IfEvalResult.Score(Prompts(),
        [
            "cats are soft and they purr",          // no comma: yes; lowercase: yes -> prompt followed
            "Apple, banana. Done.",                  // 3 words: yes; ends with Done.: yes -> followed
            "<<Titel>> Hallo",                       // language: unsupported; title: yes -> prompt not scored
            "hi [name]",                             // 1 placeholder of 2: no -> not followed
        ]);
        // Per prompt: prompts 1, 2 followed; 4 not; 3 has an unsupported instruction and is left out.
        Assert.Equal(3, result.PromptsScored);
        Assert.Equal(1, result.PromptsWithUnsupported);
        Assert.Equal(2.0 / 3, result.PromptAccuracy, 12);
        // Per instruction: 6 supported instructions, 5 followed.
        Assert.Equal(6, result.InstructionsScored);
        Assert.Equal(5.0 / 6, result.InstructionAccuracy, 12);
        Assert.Equal(new Dictionary<string, int> { ["language:response_language"] = 1 }, result.Unsupported);
        var placeholders = result.PerInstruction.Single(s => s.Id == "detectable_content:number_placeholders");
        Assert.Equal((1, 0), (placeholders.Count, placeholders.Followed));
        Assert.Equal([null, true], result.Prompts[2].Followed);
        Assert.Null(result.Prompts[2].FollowedAll);
    }

    [Fact]
    public void LooseAccuracyAlsoAcceptsTheResponseWithoutItsFirstLine()
    {
        var result = IfEvalResult.Score(Prompts(),
        [
            "Sure, here it is\ncats are soft",     // strict: a comma and a capital; loose: "cats are soft" follows both
            "Apple, banana. Done.",                  // followed either way
            "<<Titel>> Hallo",                       // language unsupported: prompt not scored
            "hi [name]",                             // one placeholder of two either way
        ]);
        Assert.Equal([false, false], result.Prompts[0].Followed);
        Assert.Equal([true, true], result.Prompts[0].FollowedLoose);
        Assert.Equal(1.0 / 3, result.PromptAccuracy, 12);
        Assert.Equal(2.0 / 3, result.PromptLooseAccuracy, 12);
        Assert.Equal(3.0 / 6, result.InstructionAccuracy, 12);
        Assert.Equal(5.0 / 6, result.InstructionLooseAccuracy, 12);
        var lowercase = result.PerInstruction.Single(s => s.Id == "change_case:english_lowercase");
        Assert.Equal((1, 0, 1), (lowercase.Count, lowercase.Followed, lowercase.FollowedLoose));
        Assert.Null(result.Prompts[2].FollowedAllLoose);
    }

    [Fact]
    public void APromptWithoutAResponseIsCountedNotScored()
    {
        var result = IfEvalResult.Score(Prompts(), ["no commas here", null, "<<T>>", "[a] [b]"]);
        Assert.Equal(1, result.PromptsNotGenerated);
        Assert.Equal(2, result.PromptsScored);
        Assert.Equal(1.0, result.PromptAccuracy);
        Assert.Equal(4, result.InstructionsScored);
    }

    [Fact]
    public void BadPromptFilesNameTheLineAndTheField()
    {
        var path = Path.Combine(Paths.NewTempDir(), "input_data.jsonl");
        File.WriteAllLines(path,
        [
            """{"key": 1, "prompt": "a", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}""",
            """{"key": 2, "prompt": "b", "instruction_id_list": ["punctuation:no_comma", "detectable_format:title"], "kwargs": [{}]}""",
        ]);
        var e = Assert.Throws<SiftException>(() => IfEvalPrompts.Read(path));
        Assert.StartsWith($"{path}:2: 'kwargs' has 1 entries but 'instruction_id_list' has 2", e.Message);

        File.WriteAllLines(path, ["""{"key": 1, "prompt": "a", "instruction_id_list": ["keywords:frequency"], "kwargs": [{"keyword": "x"}]}"""]);
        var missing = Assert.Throws<SiftException>(() => IfEvalResult.Score(IfEvalPrompts.Read(path), ["x"]));
        Assert.Equal($"{path}:1: key 1, kwargs[0]: instruction 'keywords:frequency' needs the argument 'relation'", missing.Message);
    }

    [Fact]
    public void ReadsTheSharedIfEvalFile()
    {
        var prompts = IfEvalPrompts.Read(Paths.Asset("data", "ifeval", "input_data.jsonl"));
        Assert.Equal(541, prompts.Count);
        Assert.Equal(834, prompts.Sum(p => p.InstructionIds.Count));
        // Every kwargs object of the real file is complete for the checks Sift supports.
        var result = IfEvalResult.Score(prompts, prompts.Select(_ => "").ToList());
        Assert.Equal(834 - 31, result.InstructionsScored);
        Assert.Equal(31, result.Unsupported["language:response_language"]);
    }
}
