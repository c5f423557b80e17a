namespace Sift.Scoring;

/// <summary>
/// A score method, declared in one file under Scoring/Methods/ and registered once in <see cref="ScoreMethods"/>: its
/// name and help, what it is computed from, the settings it takes, the columns it writes, and how it computes them. The
/// job of its inputs (<see cref="ScoreJob"/> for model passes, <see cref="DynamicsScoreJob"/>, <see cref="DataScoreJob"/>)
/// gathers the per-example statistics and writes the table; `sift score NAME`, the column catalog (<see cref="ScoreColumns"/>:
/// descriptions, orientations, the columns plots and `sift eval auroc` take) and the tests are built from the registry.
/// </summary>
public interface IScoreMethod
{
    /// <summary>The subcommand, `sift score NAME`, and the kind in the table's .meta.json.</summary>
    string Name { get; }

    /// <summary>How `sift score --help` names it in its list of methods ("LoBaSS learnability").</summary>
    string Title { get; }

    /// <summary>The subcommand's help: its formula and columns in short, citing the paper and docs/SCORING.md.</summary>
    string Help { get; }

    ScoreInputs Inputs { get; }

    /// <summary>The settings it reads from <see cref="ScoreInput.Settings"/>, in the order its subcommand lists their options.</summary>
    IReadOnlyList<MethodSetting> Settings { get; }

    /// <summary>
    /// Every column <see cref="Compute"/> writes, with its meaning and orientation, in the order reports, plots and
    /// `sift eval auroc` list its scores (the table's own order is <see cref="Compute"/>'s).
    /// </summary>
    IReadOnlyList<ScoreColumnInfo> Columns { get; }

    /// <summary>The passes over the data for the model folders of its <see cref="Inputs"/>; none when it runs no model.</summary>
    IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models);

    /// <summary>Its columns, after id (and index), one value per row of <see cref="ScoreInput.Ids"/>.</summary>
    IEnumerable<ScoreColumn> Compute(ScoreInput input);

    bool Takes(MethodSetting setting) => Settings.Contains(setting);
}
