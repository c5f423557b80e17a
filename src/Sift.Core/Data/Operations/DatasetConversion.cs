using Sift.Data.Writers;
using Sift.IO;

namespace Sift.Data.Operations;

/// <summary>The outcome of <see cref="DatasetConversion.Run"/>.</summary>
public sealed record ConversionResult(DatasetStatistics Statistics, string Output, long Written, string? RejectsPath, long Rejected);

/// <summary>
/// Converts any supported data file to the messages layout in JSON Lines (.jsonl, .jsonl.zst) or
/// Parquet, chosen by the output name. The output and its rejects file ("out.rejects.jsonl", only
/// when something was skipped) are written atomically: a failed conversion leaves neither behind.
/// </summary>
public static class DatasetConversion
{
    public static ConversionResult Run(string input, string output, DatasetOptions options)
    {
        var outFormat = DataFileFormats.ForOutput(output);
        if (Path.GetFullPath(input) == Path.GetFullPath(output))
            throw new SiftException($"{output}: the output would overwrite the input; choose another output name.");
        var rejectsPath = RejectsFile.PathFor(output);
        var stats = new DatasetStatistics();
        long written = 0, rejected = 0;
        AtomicFile.Write(rejectsPath, rejectsStream =>
        {
            using var rejects = new RejectsFile(rejectsStream);
            AtomicFile.Write(output, outStream =>
            {
                using var writer = ConversationWriter.Create(outFormat, outStream, output);
                foreach (var conversation in DatasetReader.Read(input, options with { Rejects = rejects }, stats))
                {
                    writer.Write(conversation);
                    written++;
                }
                writer.Complete();
            });
            rejected = rejects.Count;
        });
        if (rejected == 0) File.Delete(rejectsPath);
        return new ConversionResult(stats, output, written, rejected == 0 ? null : rejectsPath, rejected);
    }
}
