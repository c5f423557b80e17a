using System.CommandLine;
using Sift.Models;
using Sift.Training.Lora;

namespace Sift.Cli.Commands;

/// <summary>`sift lora merge`: fold a PEFT-layout LoRA adapter into its base model and write a plain Hugging Face model folder.</summary>
public static class LoraCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Base model folder in Hugging Face layout (default: the adapter's base_model_name_or_path, when that is a local folder)" }.Input();
        var adapter = new Option<string>("--adapter") { Description = "Adapter folder (adapter_config.json + adapter_model.safetensors)", Required = true }.Input();
        var outDir = new Option<string>("--out") { Description = "Folder to write the merged model to", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 for the merged weights (default: the base checkpoint's)" };
        var merge = new Command("merge", "Merge a LoRA adapter into its base model (W + alpha/r · B A) and save a normal model folder.") { model, adapter, outDir, dtype };
        merge.SetJob((parse, _) => Merge(parse.GetValue(model), parse.GetValue(adapter)!, parse.GetValue(outDir)!, parse.GetValue(dtype)));
        return new Command("lora", "Work with LoRA adapters.") { merge };
    }

    private static int Merge(string? modelDir, string adapterDir, string outDir, string? dtype)
    {
        modelDir ??= AdapterFolder.BaseModel(adapterDir) is string recorded && Directory.Exists(recorded)
            ? recorded
            : throw new SiftException($"give --model BASE: the adapter in '{adapterDir}' does not name a base model folder that exists here");
        if (Path.GetFullPath(outDir) == Path.GetFullPath(modelDir))
            throw new SiftException($"--out '{outDir}' is the base model folder; write the merged model to a new folder");
        using var model = ModelFolder.Load(modelDir, DTypes.Parse(dtype, "--dtype"));
        var lora = AdapterFolder.Load(model, adapterDir);
        int adapted = lora.AdaptedModules.Count();
        lora.Merge();
        ModelFolder.Save(model, outDir, tokenizerSourceDir: modelDir);
        Console.Error.WriteLine($"merged {adapted} projections (r={lora.Config.R}, alpha={lora.Config.Alpha}) into {modelDir}; wrote {outDir}");
        return 0;
    }
}
