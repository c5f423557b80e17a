using System.CommandLine;
using System.Diagnostics;
using Sift.Generation;
using Sift.Models;
using Sift.Native;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Cli.Commands;

/// <summary>`sift generate`: sample from a model, streaming the continuation to stdout (diagnostics to stderr).</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder in Hugging Face layout", Required = true }.Input();
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as token ids, space separated (used as given: no BOS is added)" };
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt as a user turn in the model's chat template" };
        var system = new Option<string?>("--system") { Description = "System message for --chat" };
        var template = new Option<string?>("--template") { Description = "Chat template name, overriding the one detected (llama-2, llama-3, chatml, qwen2, mistral, plain)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Maximum number of tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy (default); > 0 samples", DefaultValueFactory = _ => 0.0 };
        var topK = new Option<int>("--top-k") { Description = "Sample from the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "Seed for sampling", DefaultValueFactory = _ => 0 };
        var stop = new Option<string[]>("--stop") { Description = "Stop when this text appears (repeatable)", AllowMultipleArgumentsPerToken = false };
        var printIds = new Option<bool>("--print-ids") { Description = "Print generated token ids (space separated) instead of text" };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 (default: the checkpoint's; float32 for float16 checkpoints)" };
        var device = DeviceOption.Create();

        var command = new Command("generate", "Generate text from a model (greedy by default).")
        {
            model, prompt, promptIds, chat, system, template, maxNew, temperature, topK, topP, seed, stop, printIds, dtype, device,
        };
        command.SetJob((parse, _) => Run(new Request(
            parse.GetValue(model)!, parse.GetValue(prompt), parse.GetValue(promptIds), parse.GetValue(chat), parse.GetValue(system),
            parse.GetValue(template), parse.GetValue(maxNew),
            new SamplingOptions { Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed) },
            parse.GetValue(stop) ?? [], parse.GetValue(printIds), parse.GetValue(dtype), DeviceOption.Resolve(parse, device))));
        return command;
    }

    private sealed record Request(string Model, string? Prompt, string? PromptIds, bool Chat, string? System, string? Template,
        int MaxNewTokens, SamplingOptions Sampling, string[] Stop, bool PrintIds, string? DType, TorchSharp.torch.Device Device);

    private static int Run(Request r)
    {
        if ((r.Prompt == null) == (r.PromptIds == null)) throw new SiftException("give exactly one of --prompt TEXT or --prompt-ids \"1 2 3\"");
        if (r.Chat && r.PromptIds != null) throw new SiftException("--chat needs --prompt text, not --prompt-ids");
        r.Sampling.Validate();

        var loadTimer = Stopwatch.StartNew();
        bool needTokenizer = !(r.PromptIds != null && r.PrintIds && r.Stop.Length == 0);
        var tokenizer = needTokenizer ? ModelTokenizer.Load(r.Model) : null;
        using var model = ModelFolder.Load(r.Model, DTypes.Parse(r.DType, "--dtype"), r.Device);
        tokenizer?.CheckFitsModel(model.Config.VocabSize);
        Console.Error.WriteLine($"loaded {r.Model} ({model.Config.Architecture}, {model.DType}) in {loadTimer.Elapsed.TotalSeconds:F1}s");
        CpuBf16.WarnIfEmulated(model.DType, Console.Error.WriteLine, model.Device.type);

        var ids = r.PromptIds != null ? ParseIds(r.PromptIds) : EncodePrompt(r, tokenizer!);
        var stopIds = new HashSet<int>(model.Config.EosTokenIds);
        if (tokenizer != null) stopIds.UnionWith(tokenizer.StopIds);

        var timer = Stopwatch.StartNew();
        int count = 0;
        var filter = new StopStringFilter(r.Stop);
        var decoder = tokenizer?.CreateStreamingDecoder();
        var stdout = Console.Out;
        foreach (var id in TextGenerator.Generate(model, ids, r.MaxNewTokens, r.Sampling, stopIds))
        {
            count++;
            var ready = filter.Push(decoder?.Push(id) ?? "");
            stdout.Write(r.PrintIds ? (count == 1 ? $"{id}" : $" {id}") : ready);
            stdout.Flush();
            if (filter.Stopped) break;
        }
        if (!r.PrintIds) stdout.Write(filter.Push(decoder!.Flush()) + filter.Flush());
        stdout.WriteLine();
        var seconds = timer.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{count} tokens in {seconds:F2}s ({count / Math.Max(seconds, 1e-9):F1} tok/s), prompt {ids.Count} tokens");
        return 0;
    }

    private static List<int> EncodePrompt(Request r, ModelTokenizer tokenizer)
    {
        if (!r.Chat) return tokenizer.Encode(r.Prompt!, tokenizer.AddBosByDefault).ToList();
        var template = ChatTemplate.ForModel(r.Model, r.Template);
        var messages = new List<ChatMessage>();
        if (r.System != null) messages.Add(new ChatMessage(ChatMessage.System, r.System));
        messages.Add(new ChatMessage(ChatMessage.User, r.Prompt!));
        return tokenizer.Encode(template.Render(messages, addGenerationPrompt: true).Text, addBos: false).ToList();
    }

    private static List<int> ParseIds(string text)
    {
        var ids = new List<int>();
        foreach (var part in text.Split([' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
            ids.Add(int.TryParse(part, out var id) && id >= 0 ? id : throw new SiftException($"--prompt-ids: '{part}' is not a token id (non-negative integer)"));
        return ids;
    }
}
