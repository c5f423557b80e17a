using Sift.Text;

namespace Sift.Demo;

/// <summary>One generated instruction example: the prompt, the answer trained on, the true answer, and whether noise replaced it.</summary>
public sealed record SyntheticExample(string Id, string Task, string Prompt, string Answer, string CorrectAnswer, bool IsNoisy)
{
    public IReadOnlyList<ChatMessage> Messages => [new(ChatMessage.User, Prompt), new(ChatMessage.Assistant, Answer)];
}

/// <summary>
/// Instruction tasks whose answers can be checked exactly and that a very small model learns in
/// minutes (a letter at a position of a pseudo-word, the parity of a number), over prompt spaces
/// large enough that held-out prompts are new. A chosen fraction of training answers is corrupted by
/// taking the answer to another, freshly drawn prompt of the same task (redrawn until it differs from the
/// true one), so noise looks fluent but is wrong, as in the real-data experiment where responses are
/// moved across examples.
/// </summary>
public static class SyntheticInstructions
{
    public static readonly string[] Tasks = ["first", "last", "parity"];

    /// <summary>The tasks of the base model's pre-training text; the others it first meets in fine-tuning, where noise slows their learning.</summary>
    public static readonly string[] PretrainTasks = ["first", "repeat", "parity"];

    // Two-syllable pseudo-words (14 consonants × 5 vowels, squared: 4,900 words), so that held-out
    // prompts are new words and a model must learn the rule rather than memorise answers.
    private const string Consonants = "bdfgklmnprstvz", Vowels = "aeiou";

    private static string Word(Random r)
    {
        char C() => Consonants[r.Next(Consonants.Length)];
        char V() => Vowels[r.Next(Vowels.Length)];
        return new string([C(), V(), C(), V()]);
    }

    public static List<SyntheticExample> Generate(int count, double noiseFraction, int seed, string idPrefix = "ex", IReadOnlyList<string>? tasks = null)
    {
        tasks ??= Tasks;
        if (count < 0) throw new SiftException($"example count must be 0 or more, got {count}");
        if (noiseFraction is < 0 or > 1) throw new SiftException($"noise fraction must be in [0, 1], got {noiseFraction}");
        var rng = new Random(seed);
        var clean = Enumerable.Range(0, count).Select(i => Make(rng, tasks[i % tasks.Count], $"{idPrefix}-{i:D6}")).ToList();
        int noisy = (int)Math.Round(noiseFraction * count);
        var chosen = clean.Select((_, i) => i).OrderBy(_ => rng.Next()).Take(noisy).ToHashSet();
        var result = new List<SyntheticExample>(count);
        for (int i = 0; i < clean.Count; i++)
        {
            var ex = clean[i];
            if (!chosen.Contains(i)) { result.Add(ex); continue; }
            // Another example's answer of the same task that differs from the true one.
            string wrong;
            do wrong = Make(rng, ex.Task, "").CorrectAnswer; while (wrong == ex.CorrectAnswer);
            result.Add(ex with { Answer = wrong, IsNoisy = true });
        }
        return result;
    }

    private static SyntheticExample Make(Random rng, string task, string id)
    {
        (string prompt, string answer) = task switch
        {
            "first" => First(rng),
            "second" => Second(rng),
            "spell" => Spell(rng),
            "repeat" => Repeat(rng),
            "last" => Last(rng),
            "parity" => Parity(rng),
            _ => throw new ArgumentOutOfRangeException(nameof(task)),
        };
        return new SyntheticExample(id, task, prompt, answer, answer, false);
    }

    private static (string, string) First(Random r)
    {
        var w = Word(r);
        return ($"First letter of {w}?", w[..1]);
    }

    private static (string, string) Spell(Random r)
    {
        var w = Word(r);
        return ($"Spell {w}.", string.Join(' ', w.ToCharArray()));
    }

    private static (string, string) Repeat(Random r)
    {
        var w = Word(r);
        return ($"Repeat {w} twice.", $"{w} {w}");
    }

    private static (string, string) Second(Random r)
    {
        var w = Word(r);
        return ($"Second letter of {w}?", w[1..2]);
    }

    private static (string, string) Last(Random r)
    {
        var w = Word(r);
        return ($"Last letter of {w}?", w[^1..]);
    }

    private static (string, string) Parity(Random r)
    {
        int n = r.Next(10, 1000);
        return ($"Is {n} even or odd?", n % 2 == 0 ? "even" : "odd");
    }
}
