using Sift.Native;

// Usage: NativePatch FILE...  Marks each libLibTorchSharp.so's GLIBCXX_3.4.32 need weak (see GlibcxxVersionFix); missing files are skipped.
foreach (var path in args.Where(File.Exists))
    Console.WriteLine(GlibcxxVersionFix.Apply(path) ? $"patched {path}" : $"already patched: {path}");
return 0;
