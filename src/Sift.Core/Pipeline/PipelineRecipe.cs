using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sift.Pipeline;

/// <summary>One stage of a pipeline recipe: a Sift command line whose ${...} references are resolved when it runs.</summary>
/// <param name="Arguments">The command line, unresolved.</param>
/// <param name="DependsOn">Stages named in ${...} references, plus those listed under depends_on.</param>
/// <param name="Source">Where the stage is defined: "recipe.yaml:LINE".</param>
public sealed record PipelineStage(string Name, IReadOnlyList<string> Arguments, IReadOnlyList<string> DependsOn, string Source);

/// <summary>
/// A pipeline recipe (YAML):
/// <code>
/// run_dir: runs/my-experiment          # stage outputs go here, one folder per stage and cache key
/// vars: { data: path/to/train.jsonl }  # ${data} anywhere below; a list var, e.g. fit: [--set, a=1],
///                                      # splices its items where an argument is exactly ${fit}
/// stages:
///   reference:                          # a stage: a Sift command line
///     command: [train, --model, "${base}/model", --data, "${data}", --output-dir, "${out}"]
///   sftmix:
///     foreach: { seed: [1, 2, 3] }      # expands to sftmix-seed1, sftmix-seed2, sftmix-seed3
///     command: [train, ..., --set, "seed=${seed}", --output-dir, "${out}"]
///   report:
///     command: [report, "${sftmix-*}", --out, "${out}/report.html"]
/// </code>
/// ${out} is the stage's own output folder; ${NAME} the output folder of stage NAME (which makes it
/// a dependency); an argument that is exactly ${PREFIX*} expands to the folders of every stage whose
/// name starts with PREFIX. Relative paths are relative to the working directory.
/// </summary>
public sealed class PipelineRecipe
{
    private static readonly Regex Reference = new(@"\$\{([A-Za-z0-9_.\-]+\*?)\}", RegexOptions.Compiled);

    public required string RunDir { get; init; }
    public required IReadOnlyList<PipelineStage> Stages { get; init; }

    public static PipelineRecipe Load(string path, string? runDirOverride = null) =>
        Parse(File.Exists(path) ? File.ReadAllText(path) : throw new SiftException($"{path}: pipeline recipe not found"), path, runDirOverride);

    public static PipelineRecipe Parse(string yamlText, string source, string? runDirOverride = null)
    {
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(yamlText)); }
        catch (YamlDotNet.Core.YamlException e) { throw new SiftException($"{source}:{e.Start.Line}: not valid YAML ({e.Message})", e); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new SiftException($"{source}: a pipeline recipe is a mapping with run_dir, vars and stages");
        string At(YamlNode n) => $"{source}:{n.Start.Line}";

        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        var listVars = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? runDir = runDirOverride;
        YamlMappingNode? stagesNode = null;
        foreach (var (k, v) in root.Children)
        {
            switch (Scalar(k, source))
            {
                case "run_dir": runDir ??= Scalar(v, source); break;
                case "vars":
                    foreach (var (vk, vv) in Mapping(v, source, "vars").Children)
                        if (vv is YamlSequenceNode) listVars[Scalar(vk, source)] = Sequence(vv, source, $"var '{Scalar(vk, source)}'");
                        else vars[Scalar(vk, source)] = Scalar(vv, source);
                    break;
                case "stages": stagesNode = Mapping(v, source, "stages"); break;
                case var other: throw new SiftException($"{At(k)}: unknown key '{other}'; a pipeline recipe has run_dir, vars and stages");
            }
        }
        if (runDir == null) throw new SiftException($"{source}: run_dir is required (the folder for stage outputs)");
        if (stagesNode == null || stagesNode.Children.Count == 0) throw new SiftException($"{source}: stages is required and must not be empty");

        var raw = new List<(string Name, List<string> Args, List<string> Needs, YamlNode Where)>();
        foreach (var (k, v) in stagesNode.Children)
        {
            var name = Scalar(k, source);
            var body = Mapping(v, source, $"stage '{name}'");
            List<string>? command = null;
            var needs = new List<string>();
            var foreach_ = new List<(string Var, List<string> Values)>();
            foreach (var (bk, bv) in body.Children)
            {
                switch (Scalar(bk, source))
                {
                    case "command": command = Sequence(bv, source, "command"); break;
                    case "depends_on": needs = Sequence(bv, source, "depends_on"); break;
                    case "foreach":
                        foreach (var (fk, fv) in Mapping(bv, source, "foreach").Children) foreach_.Add((Scalar(fk, source), Sequence(fv, source, "foreach values")));
                        break;
                    case var other: throw new SiftException($"{At(bk)}: unknown key '{other}' in stage '{name}'; a stage has command, depends_on and foreach");
                }
            }
            if (command == null || command.Count == 0) throw new SiftException($"{At(k)}: stage '{name}' has no command");
            foreach (var (stageName, bindings) in Expand(name, foreach_))
            {
                var scope = new Dictionary<string, string>(vars);
                foreach (var (var, value) in bindings) scope[var] = value;
                raw.Add((stageName, SpliceListVars(command, listVars, $"{At(k)}: stage '{name}'").Select(a => SubstituteVars(a, scope)).ToList(), needs, k));
            }
        }

        var names = raw.Select(r => r.Name).ToList();
        var duplicate = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new SiftException($"{source}: two stages are named '{duplicate.Key}'");
        var stages = new List<PipelineStage>();
        foreach (var (name, args, needs, where) in raw)
        {
            var deps = new List<string>(needs);
            foreach (var arg in args)
                foreach (Match m in Reference.Matches(arg))
                {
                    var r = m.Groups[1].Value;
                    if (r == "out") continue;
                    var matched = r.EndsWith('*') ? names.Where(n => n.StartsWith(r[..^1], StringComparison.Ordinal) && n != name).ToList()
                        : names.Contains(r) ? [r] : throw new SiftException($"{At(where)}: stage '{name}' refers to ${{{r}}}, which is neither a stage nor a var");
                    if (matched.Count == 0) throw new SiftException($"{At(where)}: stage '{name}': no stage name starts with '{r[..^1]}'");
                    deps.AddRange(matched);
                }
            foreach (var d in needs.Where(d => !names.Contains(d)))
                throw new SiftException($"{At(where)}: stage '{name}' depends on '{d}', which is not a stage");
            stages.Add(new PipelineStage(name, args, deps.Distinct().ToList(), At(where)));
        }
        return new PipelineRecipe { RunDir = runDir, Stages = stages };
    }

    /// <summary>The command line with ${out}, ${STAGE} and ${PREFIX*} replaced by output folders.</summary>
    public static List<string> Resolve(IReadOnlyList<string> arguments, string outDir, IReadOnlyDictionary<string, string> outputs)
    {
        var resolved = new List<string>();
        foreach (var arg in arguments)
        {
            var whole = Reference.Match(arg);
            if (whole.Success && whole.Length == arg.Length && whole.Groups[1].Value.EndsWith('*'))
            {
                var prefix = whole.Groups[1].Value[..^1];
                resolved.AddRange(outputs.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Value));
                continue;
            }
            resolved.Add(Reference.Replace(arg, m => m.Groups[1].Value == "out" ? outDir : outputs[m.Groups[1].Value]));
        }
        return resolved;
    }

    private static IEnumerable<(string Name, List<(string, string)> Bindings)> Expand(string name, List<(string Var, List<string> Values)> loops)
    {
        IEnumerable<(string, List<(string, string)>)> result = [(name, new List<(string, string)>())];
        foreach (var (var, values) in loops)
            result = result.SelectMany(r => values.Select(v => ($"{r.Item1}-{var}{v}", new List<(string, string)>(r.Item2) { (var, v) }))).ToList();
        return result;
    }

    /// <summary>An argument that is exactly ${LIST} becomes the list's items; a list var inside a longer argument is an error.</summary>
    private static IEnumerable<string> SpliceListVars(List<string> command, Dictionary<string, List<string>> listVars, string where)
    {
        foreach (var arg in command)
        {
            var m = Reference.Match(arg);
            if (m.Success && m.Length == arg.Length && listVars.TryGetValue(m.Groups[1].Value, out var items))
            {
                foreach (var item in items) yield return item;
                continue;
            }
            foreach (Match inner in Reference.Matches(arg))
                if (listVars.ContainsKey(inner.Groups[1].Value))
                    throw new SiftException($"{where}: the list var ${{{inner.Groups[1].Value}}} must be an argument of its own, not part of '{arg}'");
            yield return arg;
        }
    }

    private static string SubstituteVars(string arg, IReadOnlyDictionary<string, string> scope) =>
        Reference.Replace(arg, m => scope.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static string Scalar(YamlNode n, string source) =>
        n is YamlScalarNode { Value: { } v } ? v : throw new SiftException($"{source}:{n.Start.Line}: expected a plain value");

    private static YamlMappingNode Mapping(YamlNode n, string source, string what) =>
        n as YamlMappingNode ?? throw new SiftException($"{source}:{n.Start.Line}: {what} must be a mapping (key: value)");

    private static List<string> Sequence(YamlNode n, string source, string what) =>
        n is YamlSequenceNode s ? s.Children.Select(c => Scalar(c, source)).ToList()
            : throw new SiftException($"{source}:{n.Start.Line}: {what} must be a list, e.g. [a, b]");
}
