using System.CommandLine;
using Sift.Models.Llama2c;

namespace Sift.Cli.Commands;

/// <summary>`sift convert llama2c`: import checkpoints from other formats into Hugging Face layout.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("CHECKPOINT") { Description = "llama2.c float32 checkpoint (.bin, version 0 or 1)" }.Input();
        var outDir = new Argument<string>("OUT_DIR") { Description = "Folder to write (config.json, model.safetensors, tokenizer files)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "SentencePiece tokenizer.model to copy alongside" }.Input();
        var llama2c = new Command("llama2c", "Convert a llama2.c checkpoint to a Hugging Face model folder.") { checkpoint, outDir, tokenizer };
        llama2c.SetJob((parse, _) =>
        {
            var dir = parse.GetValue(outDir)!;
            Llama2cImporter.Convert(parse.GetValue(checkpoint)!, dir, parse.GetValue(tokenizer));
            Console.Error.WriteLine($"wrote {dir}");
            return 0;
        });
        return new Command("convert", "Convert checkpoints from other formats.") { llama2c };
    }
}
