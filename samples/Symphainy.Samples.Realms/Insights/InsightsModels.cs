using Symphainy.Agents;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>What the profiler learned about one column.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="InferredType">Its inferred type: <c>integer</c>, <c>number</c>, <c>date</c>, <c>boolean</c> or <c>text</c>.</param>
/// <param name="Present">How many rows have a value.</param>
/// <param name="MissingRows">The rows (numbers) with no value.</param>
/// <param name="Mismatches">The values the inferred type does not accept.</param>
/// <param name="Distinct">How many distinct values it has.</param>
public sealed record ColumnProfile(string Name, string InferredType, int Present, IReadOnlyList<int> MissingRows, IReadOnlyList<TypeMismatch> Mismatches, int Distinct);

/// <summary>A value of a column that its inferred type does not accept.</summary>
/// <param name="Row">The row's number.</param>
/// <param name="Value">The value.</param>
/// <param name="Expected">The column's inferred type.</param>
public sealed record TypeMismatch(int Row, string Value, string Expected);

/// <summary>A table's profile: its size and each column's type, missing values and mismatches.</summary>
/// <param name="File">The file.</param>
/// <param name="Rows">How many data rows it has.</param>
/// <param name="Columns">One profile per column, in table order.</param>
public sealed record TableProfile(string File, int Rows, IReadOnlyList<ColumnProfile> Columns);

/// <summary>The fences of one numeric column and the values outside them.</summary>
/// <param name="Column">The column.</param>
/// <param name="Q1">The first quartile.</param>
/// <param name="Q3">The third quartile.</param>
/// <param name="Lower">The lower fence, Q1 - 1.5 IQR.</param>
/// <param name="Upper">The upper fence, Q3 + 1.5 IQR.</param>
public sealed record ColumnFences(string Column, double Q1, double Q3, double Lower, double Upper);

/// <summary>A value outside its column's fences.</summary>
/// <param name="Column">The column.</param>
/// <param name="Row">The row's number.</param>
/// <param name="Value">The value as written.</param>
/// <param name="Lower">The lower fence.</param>
/// <param name="Upper">The upper fence.</param>
public sealed record Outlier(string Column, int Row, string Value, double Lower, double Upper);

/// <summary>The outliers of a table's numeric columns, and how they were found.</summary>
/// <param name="File">The file.</param>
/// <param name="Method">The method, in words.</param>
/// <param name="Fences">The fences of each column measured.</param>
/// <param name="Outliers">The values outside them, by column then row.</param>
public sealed record OutlierReport(string File, string Method, IReadOnlyList<ColumnFences> Fences, IReadOnlyList<Outlier> Outliers);

/// <summary>A rule read from a policy text: a column must be positive, unique or present.</summary>
/// <param name="Number">The rule's number in the policy, from 1.</param>
/// <param name="Column">The column it names, as the table spells it (as the policy does when no column matches).</param>
/// <param name="Requirement"><c>positive</c>, <c>unique</c> or <c>present</c>.</param>
/// <param name="Text">The rule as the policy says it.</param>
/// <param name="Source">Where the policy says it: <c>{file}#line={n}</c>.</param>
/// <param name="Applies">Whether the table has the column it names.</param>
public sealed record PolicyRule(int Number, string Column, string Requirement, string Text, string Source, bool Applies);

/// <summary>A row that breaks a policy rule.</summary>
/// <param name="Rule">The rule's number.</param>
/// <param name="Row">The row's number.</param>
/// <param name="Column">The column.</param>
/// <param name="Value">The value (empty when missing).</param>
/// <param name="FirstRow">For <c>unique</c>: the first row with the same value.</param>
public sealed record PolicyViolation(int Rule, int Row, string Column, string Value, int? FirstRow = null);

/// <summary>
/// One defect of a table: what is wrong, where, and which checks and policy rules say so. A cell is reported once per
/// kind, whichever checks found it (a missing email found by the profiler and by a "present" rule is one defect).
/// </summary>
/// <param name="Kind"><c>missing_value</c>, <c>type_mismatch</c>, <c>outlier</c>, <c>duplicate_value</c> or <c>not_positive</c>.</param>
/// <param name="File">The file.</param>
/// <param name="Row">The row's number.</param>
/// <param name="Column">The column.</param>
/// <param name="Value">The value (empty when missing).</param>
/// <param name="Description">The defect in one sentence.</param>
/// <param name="Rules">The numbers of the policy rules it breaks.</param>
public sealed record Defect(string Kind, string File, int Row, string Column, string Value, string Description, IReadOnlyList<int> Rules)
{
    /// <summary>Where the defect is: <c>{file}#row={n};column={name}</c>.</summary>
    public string Reference => $"{File}#row={Row};column={Column}";

    /// <summary>The defect's identity: <c>{kind}@{reference}</c>.</summary>
    public string Key => $"{Kind}@{Reference}";
}

/// <summary>Everything the quality checks found in a table, consolidated.</summary>
/// <param name="File">The file.</param>
/// <param name="Rows">How many data rows it has.</param>
/// <param name="Profile">The profile.</param>
/// <param name="Outliers">The outlier report.</param>
/// <param name="Rules">The policy rules checked.</param>
/// <param name="Defects">The defects, by row, then column, then kind.</param>
public sealed record QualityAssessment(string File, int Rows, TableProfile Profile, OutlierReport Outliers, IReadOnlyList<PolicyRule> Rules, IReadOnlyList<Defect> Defects);

/// <summary>The quality analyst's explanation: a summary and claims, each citing the facts it rests on.</summary>
/// <param name="Summary">The explanation in prose.</param>
/// <param name="Claims">Its claims.</param>
public sealed record QualityExplanation(string Summary, IReadOnlyList<Claim> Claims) : IGroundedArtifact;

/// <summary>The input of <c>insights.assess_data_quality</c>.</summary>
/// <param name="Data">The table to assess (a CSV or a JSON array of objects).</param>
/// <param name="Policy">A policy text whose rules the table must follow, if any.</param>
public sealed record AssessRequest(SourceFile Data, SourceFile? Policy = null);

/// <summary>The output of <c>insights.assess_data_quality</c>: the findings and the analyst's grounded explanation.</summary>
/// <param name="Assessment">The findings.</param>
/// <param name="Explanation">The analyst's artifact (claims, the facts they cite, model, prompt version).</param>
public sealed record QualityReport(QualityAssessment Assessment, AgentArtifact<QualityExplanation> Explanation);

/// <summary>How a column of one file corresponds to a column of another.</summary>
/// <param name="Left">The column of the first file.</param>
/// <param name="Right">The column of the second file.</param>
/// <param name="Similarity">How alike the names are, 0 to 1 (1 for the same name).</param>
public sealed record ColumnMatch(string Left, string Right, double Similarity);

/// <summary>How two tables' columns correspond.</summary>
/// <param name="Left">The first file.</param>
/// <param name="Right">The second file.</param>
/// <param name="Matched">Columns with the same name (ignoring case, spaces, '_' and '-').</param>
/// <param name="Renamed">Columns whose names differ but are alike enough.</param>
/// <param name="MissingFromRight">Columns of the first file the second lacks.</param>
/// <param name="AddedInRight">Columns of the second file the first lacks.</param>
public sealed record SchemaComparison(string Left, string Right, IReadOnlyList<ColumnMatch> Matched, IReadOnlyList<ColumnMatch> Renamed, IReadOnlyList<string> MissingFromRight, IReadOnlyList<string> AddedInRight);

/// <summary>The input of <c>insights.match_schemas</c>: two tabular files.</summary>
/// <param name="Left">The first file (the reference).</param>
/// <param name="Right">The second file.</param>
public sealed record MatchRequest(SourceFile Left, SourceFile Right);
