namespace Sift.Scoring;

/// <summary>One forward pass over the data: its name in partial files, the model, and whether it scores the IFD direct input.</summary>
public sealed record ScorePass(string Name, string ModelDir, bool Direct = false);
