using Sift.Native;
using TorchSharp;

namespace Sift.Tests.Native;

public class TorchRuntimeTests
{
    [Fact]
    public void NativeLibraryLoadsAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = a.matmul(b);
        Assert.Equal(3f, c[1, 2].item<float>());
    }

    [Fact]
    public void VersionFixIsIdempotent()
    {
        var so = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var bytes = File.ReadAllBytes(so);
        Assert.False(GlibcxxVersionFix.MarkWeak(bytes)); // already patched at start-up
    }
}
