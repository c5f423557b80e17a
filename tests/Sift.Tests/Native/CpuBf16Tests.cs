using Sift.Native;

namespace Sift.Tests.Native;

public class CpuBf16Tests
{
    [Theory]
    [InlineData("flags\t\t: fpu vme sse2 avx2 fma", true)]
    [InlineData("flags\t\t: fpu avx2 avx512f avx512_bf16", false)]
    [InlineData("flags\t\t: fpu avx2 amx_bf16 amx_tile", false)]
    [InlineData("Features\t: fp asimd sve bf16 i8mm", false)]
    [InlineData("Features\t: fp asimd", true)]
    [InlineData("processor\t: 0", false)]
    public void WarnsOnlyWhenTheFlagsLackBfloat16(string line, bool warns)
    {
        var path = Path.Combine(Paths.NewTempDir("sift-cpuinfo"), "cpuinfo");
        try
        {
            File.WriteAllText(path, $"processor\t: 0\n{line}\n\n");
            Assert.Equal(warns, CpuBf16.Read(path) is not null);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingCpuinfoGivesNoWarning() => Assert.Null(CpuBf16.Read("/nonexistent/cpuinfo"));
}
