namespace Sift.Training.Objectives;

/// <summary>The objectives a recipe can name.</summary>
public enum ObjectiveKind { Ntp, Neftune, SftMix }
