namespace Sift.Data;

/// <summary>A record left out of the data set, with why; <see cref="Raw"/> is valid only during the call.</summary>
public readonly record struct Rejection(ExampleSource Source, string? Field, string Reason, ReadOnlyMemory<byte> Raw);

/// <summary>Where the reader reports records it skips.</summary>
public interface IRejectSink
{
    void Add(in Rejection rejection);
}
