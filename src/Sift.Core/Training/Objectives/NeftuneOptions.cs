namespace Sift.Training.Objectives;

/// <summary>Which length L scales NEFTune's noise α/√(L·d) (docs/METHODS.md, NEFTune).</summary>
public enum NeftuneLength
{
    /// <summary>Each example's own unpadded length; padding gets no noise (the paper's code).</summary>
    PerSequence,
    /// <summary>The padded row length, padding noised too (transformers/TRL's hook).</summary>
    Padded,
}

/// <summary>NEFTune: uniform noise on the input embeddings of training forward passes (α's range is its recipe key's, <see cref="NextTokenDefinitions"/>).</summary>
public sealed record NeftuneOptions(double Alpha, NeftuneLength Length = NeftuneLength.PerSequence);
