namespace Sift.Tests.Distributed;

/// <summary>A test that launches `mpirun`: skipped, saying why, only where Open MPI is not installed (scripts/test.sh installs it).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (!SiftJobs.HasMpirun) Skip = "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; scripts/test.sh does it)";
    }
}

/// <inheritdoc cref="MpiFactAttribute"/>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (!SiftJobs.HasMpirun) Skip = "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; scripts/test.sh does it)";
    }
}
