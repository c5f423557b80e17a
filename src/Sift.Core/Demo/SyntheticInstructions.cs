using Sift.Text;

namespace Sift.Demo;

/// <summary>One generated instruction example: the prompt, the answer trained on, the true answer, and whether noise replaced it.</summary>
public sealed record SyntheticExample(string Id, string Task, string Prompt, string Answer, string CorrectAnswer, bool IsNoisy)
{
    public IReadOnlyList<ChatMessage> Messages => [new(ChatMessage.User, Prompt), new(ChatMessage.Assistant, Answer)];
}

/// <summary>
/// Instruction tasks whose answers can be checked exactly and that a very small model can learn
/// in minutes (single-digit arithmetic, sorting, reversal, counting, repetition, capitals). A chosen fraction of training answers is corrupted by taking the answer of
/// another example of the same task, so noise looks fluent but is wrong, as in the real-data
/// experiment where responses are shuffled across examples.
/// </summary>
public static class SyntheticInstructions
{
    public static readonly string[] Tasks = ["add", "repeat", "sort", "reverse", "count", "uppercase"];

    private static readonly string[] Words =
    [
        "apple", "river", "planet", "garden", "silver", "market", "window", "forest", "candle", "bridge",
        "pencil", "rocket", "summer", "yellow", "button", "island", "dragon", "winter", "castle", "magnet",
    ];

    public static List<SyntheticExample> Generate(int count, double noiseFraction, int seed, string idPrefix = "ex")
    {
        if (count < 0) throw new SiftException($"example count must be 0 or more, got {count}");
        if (noiseFraction is < 0 or > 1) throw new SiftException($"noise fraction must be in [0, 1], got {noiseFraction}");
        var rng = new Random(seed);
        var clean = Enumerable.Range(0, count).Select(i => Make(rng, Tasks[i % Tasks.Length], $"{idPrefix}-{i:D6}")).ToList();
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
            "add" => Add(rng),
            "repeat" => Repeat(rng),
            "sort" => Sort(rng),
            "reverse" => Reverse(rng),
            "count" => Count(rng),
            "uppercase" => Uppercase(rng),
            _ => throw new ArgumentOutOfRangeException(nameof(task)),
        };
        return new SyntheticExample(id, task, prompt, answer, answer, false);
    }

    private static (string, string) Add(Random r)
    {
        int a = r.Next(0, 10), b = r.Next(0, 10);
        return ($"What is {a} + {b}?", (a + b).ToString());
    }

    private static (string, string) Repeat(Random r)
    {
        var w = Words[r.Next(Words.Length)];
        int n = r.Next(2, 4);
        return ($"Repeat the word {w} {(n == 2 ? "twice" : "three times")}.", string.Join(' ', Enumerable.Repeat(w, n)));
    }

    private static (string, string) Sort(Random r)
    {
        var xs = Enumerable.Range(0, r.Next(3, 5)).Select(_ => r.Next(0, 10)).ToArray();
        return ($"Sort in ascending order: {string.Join(", ", xs)}", string.Join(", ", xs.Order()));
    }

    private static (string, string) Reverse(Random r)
    {
        var w = Words[r.Next(Words.Length)];
        return ($"Reverse the word {w}.", new string(w.Reverse().ToArray()));
    }

    private static (string, string) Count(Random r)
    {
        var words = Enumerable.Range(0, r.Next(2, 6)).Select(_ => Words[r.Next(Words.Length)]).ToArray();
        return ($"How many words are in: {string.Join(' ', words)}?", words.Length.ToString());
    }

    private static (string, string) Uppercase(Random r)
    {
        var a = Words[r.Next(Words.Length)];
        var b = Words[r.Next(Words.Length)];
        return ($"Write in capital letters: {a} {b}", $"{a} {b}".ToUpperInvariant());
    }
}
