using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>Parses the precision names users type (float32/fp32, bfloat16/bf16).</summary>
public static class DTypes
{
    public static ScalarType? Parse(string? name, string setting) => name?.ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        _ => throw new SiftException($"{setting}: '{name}' is not a supported precision; use float32 or bfloat16 (float16 is not supported on CPU: it runs at a tiny fraction of the speed)"),
    };
}
