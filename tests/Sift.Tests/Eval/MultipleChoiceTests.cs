using Sift.Eval;
using Sift.Text;

namespace Sift.Tests.Eval;

/// <summary>The multiple-choice rule, file layout and prompts, without a model.</summary>
public class MultipleChoiceTests
{
    [Fact]
    public void AccTakesTheLargestLogLikelihoodAndAccNormTheLargestPerCharacter()
    {
        // ll = -4 over "ab" (-2 per character) and -6 over "abcdef" (-1 per character).
        Assert.Equal((0, 1), MultipleChoiceScoring.Pick([-4.0, -6.0], [2, 6]));
        // Ties go to the first choice, as numpy's argmax does.
        Assert.Equal((0, 0), MultipleChoiceScoring.Pick([-3.0, -3.0], [1, 1]));
        Assert.Equal((1, 1), MultipleChoiceScoring.Pick([-5.0, -3.0, -3.0], [1, 1, 1]));
    }

    [Fact]
    public void LengthCountsCharactersAsPythonsLenDoes()
    {
        // "🙂🙂" is 2 characters, 4 UTF-16 units and 8 UTF-8 bytes; the harness divides by 2.
        Assert.Equal(2, MultipleChoiceScoring.Length("🙂🙂"));
        Assert.Equal(4, MultipleChoiceScoring.Length("café"));
        // ll -4 over "abcd" (-1.0 per character) against -3 over "🙂🙂" (-1.5 per character; -0.75 per
        // UTF-16 unit, -0.375 per byte): by characters the first choice wins acc_norm, the second acc.
        var lengths = new[] { "abcd", "🙂🙂" }.Select(MultipleChoiceScoring.Length).ToArray();
        Assert.Equal((1, 0), MultipleChoiceScoring.Pick([-4.0, -3.0], lengths));
    }

    [Fact]
    public void MmluPromptIsTheHarnessDefaultWithLettersAsContinuations()
    {
        var q = new MultipleChoiceQuestion("1", "  What is 2 + 2? ", ["3", "4", "5", "22"], 1, "high_school_mathematics", "f:1");
        var text = MultipleChoicePrompts.Build(q, ChoicePrompt.Mmlu);
        Assert.Equal("The following are multiple choice questions (with answers) about high school mathematics.\n\n", text.System);
        Assert.Equal("What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:", text.Question);
        Assert.Equal(["A", "B", "C", "D"], text.Choices);
        var (context, continuations) = MultipleChoicePrompts.Render(text, template: null);
        Assert.Equal(text.System + text.Question, context);
        Assert.Equal([" A", " B", " C", " D"], continuations);

        var cloze = MultipleChoicePrompts.Build(q, ChoicePrompt.Cloze);
        Assert.Equal(("", "Question:   What is 2 + 2? \nAnswer:"), (cloze.System, cloze.Question));
        Assert.Equal(["3", "4", "5", "22"], cloze.Choices);
        Assert.Equal("", MultipleChoicePrompts.Build(q with { Subject = null }, ChoicePrompt.Mmlu).System);
    }

    [Fact]
    public void TrailingWhitespaceOfTheContextMovesToTheContinuation()
    {
        var tokenizer = ModelTokenizer.Load(Paths.Asset("models", "stories260K-hf"));
        var moved = MultipleChoicePrompts.Encode(tokenizer, "The cat sat on the ", "mat", addBos: true);
        var plain = MultipleChoicePrompts.Encode(tokenizer, "The cat sat on the", " mat", addBos: true);
        Assert.Equal(plain.Context, moved.Context);
        Assert.Equal(plain.Continuation, moved.Continuation);
        Assert.Equal(tokenizer.Encode("The cat sat on the mat", addBos: true)[plain.Context.Length..], plain.Continuation);
        Assert.Equal(tokenizer.BosId, plain.Context[0]);
    }

    [Fact]
    public void ReadsIndicesLettersAndDefaultIds()
    {
        var path = Path.Combine(Paths.NewTempDir(), "mc.jsonl");
        File.WriteAllLines(path,
        [
            """{"id": "q1", "question": "Q?", "choices": ["a", "b"], "answer": 1}""",
            "",
            """{"question": "R?", "choices": ["a", "b", "c"], "answer": "C", "subject": "anatomy"}""",
            """{"id": 7, "question": "S?", "choices": ["x", "y"], "answer": "A", "subject": null}""",
        ]);
        var questions = MultipleChoiceQuestions.Read(path);
        Assert.Equal(["q1", "3", "7"], questions.Select(q => q.Id));
        Assert.Equal([1, 2, 0], questions.Select(q => q.Answer));
        Assert.Equal(["anatomy"], questions.Select(q => q.Subject).OfType<string>());
        Assert.Equal($"{path}:3", questions[1].Source);
    }

    [Theory]
    [InlineData("""{"question": "Q?", "choices": ["a", "b"], "answer": 2}""", "'answer' is 2, but the 2 choices have indices 0 to 1")]
    [InlineData("""{"question": "Q?", "choices": ["a", "b"], "answer": "C"}""", "'answer' is \"C\", but the 2 choices have letters A to B")]
    [InlineData("""{"question": "Q?", "choices": ["a", "b"], "answer": "first"}""", "'answer' must be the right choice's index (0 to 1) or letter (A to B), got \"first\"")]
    [InlineData("""{"question": "Q?", "choices": ["a"], "answer": 0}""", "'choices' has 1 entries; a question needs at least 2")]
    [InlineData("""{"question": "Q?", "choices": ["a", ""], "answer": 0}""", "choices[1] must be a non-empty string (acc_norm divides by its length)")]
    [InlineData("""{"question": " ", "choices": ["a", "b"], "answer": 0}""", "field 'question' must be a non-empty string")]
    [InlineData("""{"question": "Q?", "choices": "a b", "answer": 0}""", "field 'choices' must be an array of the answer texts")]
    [InlineData("""{"question": "Q?", "choices": ["a", "b"]}""", "field 'answer' is missing; give the right choice's index (0-based) or letter")]
    [InlineData("""{"question": "Q?", "choices": ["a", "b"], "answer": 0""", "malformed JSON")]
    public void BadLinesNameTheFileLineAndField(string line, string message)
    {
        var path = Path.Combine(Paths.NewTempDir(), "mc.jsonl");
        File.WriteAllLines(path, ["""{"question": "ok?", "choices": ["a", "b"], "answer": 0}""", line]);
        var e = Assert.Throws<SiftException>(() => MultipleChoiceQuestions.Read(path));
        Assert.StartsWith($"{path}:2: {message}", e.Message);
    }

    [Fact]
    public void DuplicateIdsAndEmptyFilesAreRefused()
    {
        var path = Path.Combine(Paths.NewTempDir(), "mc.jsonl");
        File.WriteAllLines(path, ["""{"id": "a", "question": "Q?", "choices": ["a", "b"], "answer": 0}""", """{"id": "a", "question": "R?", "choices": ["a", "b"], "answer": 0}"""]);
        Assert.Equal($"{path}:2: id 'a' appears twice; ids must be unique", Assert.Throws<SiftException>(() => MultipleChoiceQuestions.Read(path)).Message);
        File.WriteAllText(path, "\n");
        Assert.StartsWith($"{path}: no questions in the file", Assert.Throws<SiftException>(() => MultipleChoiceQuestions.Read(path)).Message);
    }
}
