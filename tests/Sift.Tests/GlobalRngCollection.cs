namespace Sift.Tests;

/// <summary>
/// Tests that seed or draw from torch's global generator (dropout, manual_seed) run in this
/// collection, alone, so that no test running in parallel moves the generator under them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "torch global RNG";
}
