using System.Runtime.CompilerServices;
using Sift.Native;

namespace Sift.Tests;

internal static class TestSetup
{
    [ModuleInitializer]
    internal static void Init() => TorchRuntime.Initialize();
}
