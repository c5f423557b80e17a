using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Tests.Native;

/// <summary>
/// No code in Sift hands libtorch a number as a temporary Scalar: neither an implicit conversion
/// in Sift's own code (x * 0.5) nor a TorchSharp method that makes one inside (a + b passes an
/// implicit alpha of 1; x.square() is pow(2)). Such a Scalar can be finalized while libtorch reads
/// it (see <see cref="Scalars"/>). Read from the compiled IL, so a new offender fails the suite.
/// </summary>
public class ScalarLifetimeTests
{
    private const string Implicit = "TorchSharp.Scalar::op_Implicit";
    private const string ImplicitTensor = "TorchSharp.torch/Tensor::op_Implicit";

    [Fact]
    public void NoSiftMethodHandsLibtorchATemporaryScalar()
    {
        var makers = TemporaryScalarMakers();
        var offenders = Offenders(typeof(Sift.Models.CausalLM).Assembly.Location, makers)
            .Concat(Offenders(typeof(Sift.Cli.Program).Assembly.Location, makers)).ToList();
        Assert.True(offenders.Count == 0, "temporary Scalars (use Sift.Native.Scalars):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void TheCheckFindsTemporaryScalarsAndAcceptsHeldOnes()
    {
        var offenders = Offenders(typeof(ScalarLifetimeTests).Assembly.Location, TemporaryScalarMakers())
            .Where(o => o.Contains(nameof(Examples))).ToList();
        Assert.Contains(offenders, o => o.Contains("ImplicitNumber") && o.Contains(Implicit));
        Assert.Contains(offenders, o => o.Contains("TensorSum") && o.Contains("op_Addition"));
        Assert.Contains(offenders, o => o.Contains("Square") && o.Contains("square"));
        Assert.DoesNotContain(offenders, o => o.Contains("Held"));
    }

    private static class Examples
    {
        public static Tensor ImplicitNumber(Tensor x) => x.mul(0.5);
        public static Tensor TensorSum(Tensor x) => x + x;
        public static Tensor Square(Tensor x) => x.square();
        public static Tensor HeldNumber(Tensor x) { using var half = Scalars.Hold(0.5); return x.mul(half); }
        public static Tensor HeldSum(Tensor x) => x.Plus(x);
    }

    /// <summary>TorchSharp methods that make a Scalar by implicit conversion or ToScalar, directly or through other TorchSharp methods.</summary>
    private static HashSet<string> TemporaryScalarMakers()
    {
        var graph = IlCallGraph.Read(typeof(TorchSharp.torch).Assembly.Location);
        var makers = graph.Where(m => m.Value.Any(c => c.StartsWith(Implicit) || c.StartsWith("TorchSharp.ScalarExtensionMethods::ToScalar")))
            .Select(m => m.Key).ToHashSet();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (method, calls) in graph)
                if (!makers.Contains(method) && calls.Any(makers.Contains)) grew = makers.Add(method);
        }
        return makers;
    }

    private static IEnumerable<string> Offenders(string assembly, HashSet<string> makers) =>
        from m in IlCallGraph.Read(assembly)
        from call in m.Value
        where call.StartsWith(Implicit) || call.StartsWith(ImplicitTensor) || makers.Contains(call)
        select $"{m.Key} calls {call}";
}
