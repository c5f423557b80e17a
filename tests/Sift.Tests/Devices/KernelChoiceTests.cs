using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>CPU tensors take the C# kernels unless a caller asks for the twins, and that request stays with its caller.</summary>
public class KernelChoiceTests
{
    [Fact]
    public void TwinsOnlyHoldsForItsScopeAndWhatItStartsThenRestores()
    {
        using var t = zeros(3);
        Assert.True(KernelChoice.CpuKernel(t));
        using (KernelChoice.TwinsOnly())
        {
            Assert.False(KernelChoice.CpuKernel(t));
            bool? started = null;
            var worker = new Thread(() => started = KernelChoice.CpuKernel(t)); // flows into work it starts (Parallel.For bodies)
            worker.Start();
            worker.Join();
            Assert.False(started);
            using (KernelChoice.TwinsOnly()) Assert.False(KernelChoice.CpuKernel(t));
            Assert.False(KernelChoice.CpuKernel(t)); // the inner scope restores the outer one's choice
        }
        Assert.True(KernelChoice.CpuKernel(t));
    }

    [Fact]
    public void AThreadAlreadyRunningDoesNotSeeAnotherFlowsChoice()
    {
        using var t = zeros(3);
        using var asked = new ManualResetEventSlim();
        using var answered = new ManualResetEventSlim();
        bool? seen = null;
        var other = new Thread(() =>
        {
            asked.Wait();
            seen = KernelChoice.CpuKernel(t);
            answered.Set();
        });
        other.Start();
        using (KernelChoice.TwinsOnly())
        {
            asked.Set();
            answered.Wait();
        }
        other.Join();
        Assert.True(seen);
    }

    [Fact]
    public void TensorsOffTheCpuAlwaysTakeTheTwin()
    {
        using var t = empty(3, device: new Device("meta"));
        Assert.False(KernelChoice.CpuKernel(t));
    }
}
