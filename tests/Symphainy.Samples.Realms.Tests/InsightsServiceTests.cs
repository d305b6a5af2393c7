using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;

namespace Symphainy.Samples.Realms.Tests;

public sealed class InsightsServiceTests
{
    [Fact]
    public void Quartiles_are_interpolated_and_values_beyond_the_fences_are_outliers()
    {
        var detector = new OutlierDetector();
        var fences = detector.Fences("v", [1, 2, 3, 4, 5, 6, 7, 8]);
        fences.Q1.Should().Be(2.75);
        fences.Q3.Should().Be(6.25);
        fences.Lower.Should().Be(2.75 - (1.5 * 3.5));
        fences.Upper.Should().Be(6.25 + (1.5 * 3.5));

        var table = new CsvParser().ParseTable("t.csv", "id,amount\n1,10\n2,12\n3,11\n4,13\n5,500\n6,-400\n7,12\n8,x\n");
        var report = detector.Detect("t.csv", table, new ColumnProfiler().Profile("t.csv", table));
        report.Outliers.Select(o => (o.Column, o.Row, o.Value)).Should().Equal(("amount", 5, "500"), ("amount", 6, "-400"));
        report.Fences.Select(f => f.Column).Should().Equal(["amount"], "identifier columns are not measured");
    }

    [Fact]
    public void A_column_too_short_or_not_numeric_is_not_measured()
    {
        var table = new CsvParser().ParseTable("t.csv", "n,name\n1,a\n2,b\n1000,c\n");
        var report = new OutlierDetector().Detect("t.csv", table, new ColumnProfiler().Profile("t.csv", table));
        report.Fences.Should().BeEmpty();
        report.Outliers.Should().BeEmpty();
    }

    [Fact]
    public void Column_types_are_inferred_from_most_values_and_the_rest_are_mismatches()
    {
        var table = new CsvParser().ParseTable("t.csv", "id,amount,day,flag,name\n1,1.5,2026-01-01,yes,a\n2,2,2026-01-02,no,b\n3,abc,2026-01-03,true,c\n4,4.25,someday,false,\n");
        var profile = new ColumnProfiler().Profile("t.csv", table);

        profile.Columns.Select(c => c.InferredType).Should().Equal("integer", "number", "date", "boolean", "text");
        profile.Columns[1].Mismatches.Should().Equal(new TypeMismatch(3, "abc", "number"));
        profile.Columns[2].Mismatches.Should().Equal(new TypeMismatch(4, "someday", "date"));
        profile.Columns[4].MissingRows.Should().Equal(4);
        new ColumnProfiler().Infer(["a", "1", "2", "b"]).Should().Be("text", "half the values are numbers, less than the threshold");
    }

    [Fact]
    public void Schemas_match_by_name_then_by_similarity_and_the_rest_are_missing_or_added()
    {
        var comparison = new SchemaMatcher().Compare(
            "old.csv", ["Order ID", "customer_name", "email", "amount", "date", "channel"],
            "new.csv", ["order_id", "customer", "email", "amount", "order_date", "notes"]);

        comparison.Matched.Select(m => (m.Left, m.Right)).Should().Equal(("Order ID", "order_id"), ("email", "email"), ("amount", "amount"));
        comparison.Renamed.Select(m => (m.Left, m.Right)).Should().Equal(("customer_name", "customer"), ("date", "order_date"));
        comparison.MissingFromRight.Should().Equal("channel");
        comparison.AddedInRight.Should().Equal("notes");
    }

    [Fact]
    public void Name_similarity_is_edit_distance_or_containment()
    {
        SchemaMatcher.Levenshtein("kitten", "sitting").Should().Be(3);
        SchemaMatcher.Similarity("colour", "color").Should().BeApproximately(1 - (1.0 / 6), 1e-9);
        SchemaMatcher.Similarity("customer", "customer_name").Should().BeApproximately(0.5 + (0.5 * 8 / 12), 1e-9);
        SchemaMatcher.Similarity("amount", "channel").Should().BeLessThan(SchemaMatcher.RenameThreshold);
    }

    [Fact]
    public void Policy_rules_are_read_from_text_and_matched_to_columns()
    {
        var policy = new TextChunker().Parse("p.txt", "Rules\n\n1. Amounts must be positive.\nThe ids should be unique\n- email must be present\nPhone must be present.\n");
        var rules = new PolicyReader().Read(policy, ["order_id", "email", "amount"]);

        rules.Select(r => (r.Number, r.Column, r.Requirement, r.Source, r.Applies)).Should().Equal(
            (1, "amount", "positive", "p.txt#line=3", true),
            (2, "order_id", "unique", "p.txt#line=4", true),
            (3, "email", "present", "p.txt#line=5", true),
            (4, "Phone", "present", "p.txt#line=6", false));
        rules.Select(r => r.Text).Should().Equal("Amounts must be positive.", "The ids should be unique", "email must be present", "Phone must be present.");
    }

    [Fact]
    public void Each_defective_cell_is_one_defect_per_kind_with_the_rules_it_breaks()
    {
        var data = new CsvParser().Parse("o.csv", "id,email,amount\n1,,5\n1,b@x,-2\n2,c@x,3\n3,d@x,4\n");
        var policy = new TextChunker().Parse("p.txt", "id must be unique\nemail must be present\namount must be positive\n");
        var profile = new ColumnProfiler().Profile("o.csv", data.Table!);
        var outliers = new OutlierDetector().Detect("o.csv", data.Table!, profile);
        var rules = new PolicyReader().Read(policy, data.Table!.Columns);
        var assessment = new FindingsConsolidator().Consolidate(profile, outliers, rules, new PolicyChecker().Check(data.Table!, rules));

        assessment.Defects.Select(d => (d.Key, d.Rules.Count > 0 ? d.Rules[0] : 0)).Should().Equal(
            ("missing_value@o.csv#row=1;column=email", 2),
            ("duplicate_value@o.csv#row=2;column=id", 1),
            ("not_positive@o.csv#row=2;column=amount", 3));
    }
}
