"""The Gauge spec parser on small specs written for each grammar case (reference gauge.md §2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import spec
from pytest_streamstress.gauge.parse.spec import Spec, StepArg, Table

DATA = Path(__file__).parents[2] / "data" / "specs"
GRAMMAR = DATA / "grammar"


def parse(name: str, *, concepts: spec.ConceptIndex | None = None) -> Spec:
    path = GRAMMAR / "specs" / name
    return spec.parse_spec(path.read_text(encoding="utf-8"), path=path, concepts=concepts)


def parse_text(text: str) -> Spec:
    return spec.parse_spec(textwrap.dedent(text), path=Path("inline.spec"))


def test_setext_headings_make_spec_and_scenarios_with_the_text_lines_numbers() -> None:
    parsed = parse("setext.spec")
    assert (parsed.heading, parsed.heading_line) == ("Setext spec heading", 2)
    assert [(s.heading, s.line) for s in parsed.scenarios] == [("First scenario", 7), ("Second scenario", 13)]
    assert parsed.scenarios[0].tags == ("setext",)


def test_scenario_span_ends_on_the_line_before_the_next_heading_and_at_the_last_token() -> None:
    parsed = parse("setext.spec")
    assert [s.span_end for s in parsed.scenarios] == [12, 15]


def test_spec_tags_continue_over_lines_ending_with_a_comma() -> None:
    parsed = parse("tags.spec")
    assert parsed.tags == ("Spec-Tag", "linux/amd64", "continued tag", "skip-4.14")


def test_scenario_inherits_spec_tags_and_all_tags_deduplicates_case_insensitively() -> None:
    first = parse("tags.spec").scenarios[0]
    assert first.tags == ("own", "E2E", "spec-tag")
    assert first.spec_tags == ("Spec-Tag", "linux/amd64", "continued tag", "skip-4.14")
    assert first.all_tags == ("Spec-Tag", "linux/amd64", "continued tag", "skip-4.14", "own", "E2E")


def test_scenario_without_tag_line_has_only_the_inherited_tags() -> None:
    second = parse("tags.spec").scenarios[1]
    assert second.tags == ()
    assert second.all_tags == ("Spec-Tag", "linux/amd64", "continued tag", "skip-4.14")


def test_scenario_tag_line_continues_over_several_lines() -> None:
    assert parse("tags.spec").scenarios[2].tags == ("first", "second", "third")


def test_context_steps_come_before_the_first_scenario_with_their_inline_table() -> None:
    parsed = parse("context_teardown.spec")
    assert [(s.text, s.line) for s in parsed.context_steps] == [('Prepare "cluster"', 4), ("Apply", 5)]
    assert parsed.context_steps[1].table == Table(headers=("file",), rows=(("a.yaml",),), line=6)
    assert parsed.context_steps[1].value == "Apply {}"


def test_teardown_steps_follow_the_underscore_line_and_leave_scenarios_untouched() -> None:
    parsed = parse("context_teardown.spec")
    assert [s.text for s in parsed.teardown_steps] == ["Clean up", 'Say "bye"']
    assert parsed.teardown_steps[0].table == Table(headers=("what",), rows=(("ns",),), line=18)
    assert [len(s.steps) for s in parsed.scenarios] == [1, 1]


def test_static_param_keeps_escaped_quotes_and_dynamic_param_names_a_column() -> None:
    step = parse("params.spec").scenarios[0].steps[0]
    assert step.value == "Say {} to {}"
    assert step.args == (
        StepArg(kind="static", value='hello "quoted" world'),
        StepArg(kind="dynamic", value="name"),
    )
    assert step.text == 'Say "hello \\"quoted\\" world" to <name>'


def test_file_and_table_params_are_special() -> None:
    step = parse("params.spec").scenarios[0].steps[1]
    assert step.value == "Read {} and {}"
    assert step.args == (
        StepArg(kind="special", value="file:data/input.txt"),
        StepArg(kind="special", value="table:data/rows.csv"),
    )


def test_escaped_braces_are_text_and_backslash_n_t_become_newline_and_tab_in_params() -> None:
    step = parse("params.spec").scenarios[0].steps[2]
    assert step.value == "Escapes { braces } and {} kept"
    assert step.args == (StepArg(kind="static", value="tab\there\nnewline"),)


def test_a_lone_greater_than_sign_is_ordinary_text() -> None:
    step = parse("params.spec").scenarios[0].steps[3]
    assert step.value == "Skip if OCP >= {} (Bug: {})"
    assert [a.value for a in step.args] == ["4.20", "SRVKP-11139"]


def test_inline_table_after_blank_lines_belongs_to_the_step_and_skips_the_separator_row() -> None:
    step = parse("params.spec").scenarios[0].steps[4]
    assert step.value == "Create {}"
    assert step.args == (StepArg(kind="table", value=""),)
    assert step.table == Table(
        headers=("S.NO", "path | pipe"), rows=(("1", "<name>"), ("2", "plain")), line=16
    )


def test_spec_data_table_is_recorded_with_its_rows() -> None:
    parsed = parse("params.spec")
    assert parsed.data_table == Table(
        headers=("name", "greeting"), rows=(("Alice", "hi"), ("Bob", "hello")), line=3
    )


def test_scenario_data_table_and_external_table_line_are_recorded() -> None:
    parsed = parse("datadriven.spec")
    own, external = parsed.scenarios[2], parsed.scenarios[3]
    assert own.data_table == Table(
        headers=("size", "colour"), rows=(("S", "red"), ("M", "blue"), ("L", "green")), line=15
    )
    assert external.data_table == Table(headers=(), rows=(), line=23, external="data/people.csv")
    assert external.steps[0].args == (StepArg(kind="dynamic", value="first"),)


def test_free_text_level_three_headings_and_bold_lines_are_comments() -> None:
    parsed = parse("comments.spec")
    assert (parsed.heading, parsed.heading_line) == ("Comments and free text", 3)
    assert parsed.context_steps == ()
    assert [(s.text, s.line) for s in parsed.scenarios[0].steps] == [("Only step", 11)]


def test_a_table_after_free_text_is_a_scenario_data_table_not_an_inline_table() -> None:
    scenario = parse("comments.spec").scenarios[0]
    assert scenario.steps[0].table is None
    assert scenario.data_table == Table(headers=("a table", "after text"), rows=(), line=13)


def test_every_step_knows_its_file() -> None:
    parsed = parse("params.spec")
    assert {step.path for step in parsed.scenarios[0].steps} == {GRAMMAR / "specs" / "params.spec"}


def test_unknown_special_prefix_is_dynamic_with_gauge_warning() -> None:
    parsed = parse_text(
        """\
        # H
        |x:y|
        |1  |
        ## S
        * Use <x:y>
        """
    )
    assert parsed.scenarios[0].steps[0].args == (StepArg(kind="dynamic", value="x:y"),)
    assert parsed.warnings == (
        "inline.spec:5 Could not resolve special param type <x:y>. Treating it as dynamic param.",
    )


def test_second_data_table_is_ignored_with_a_warning() -> None:
    parsed = parse_text(
        """\
        # H
        |a|
        |1|

        |b|
        |2|
        ## S
        * step
        """
    )
    assert parsed.data_table == Table(headers=("a",), rows=(("1",),), line=2)
    assert parsed.warnings == ("inline.spec:5 Multiple data table present, ignoring table",)


def test_crlf_and_tab_indented_lines_parse_like_plain_ones() -> None:
    parsed = spec.parse_spec('# H\r\n## S\r\n\t* step "a"\r\n', path=Path("x.spec"))
    assert parsed.scenarios[0].steps[0].args == (StepArg(kind="static", value="a"),)


def test_concept_step_is_expanded_with_the_concept_steps_and_their_cpt_lines() -> None:
    concepts = spec.load_concepts(GRAMMAR)
    step = parse("concepts.spec", concepts=concepts).scenarios[0].steps[0]
    assert step.is_concept
    assert [(s.text, s.line, s.path) for s in step.concept_steps] == [
        ("Download <product>", 2, GRAMMAR / "concepts" / "setup.cpt"),
        ("Verify version <version> of <product>", 3, GRAMMAR / "concepts" / "setup.cpt"),
    ]


def test_plain_step_next_to_a_concept_is_not_expanded() -> None:
    concepts = spec.load_concepts(GRAMMAR)
    assert not parse("concepts.spec", concepts=concepts).scenarios[0].steps[1].is_concept


def test_nested_concepts_expand_recursively_and_a_table_matches_a_concept_param() -> None:
    concepts = spec.load_concepts(GRAMMAR)
    step = parse("concepts.spec", concepts=concepts).scenarios[1].steps[0]
    assert step.value == "Set up everything {}"
    nested = step.concept_steps[0]
    assert nested.text == 'Install "base" version "1"'
    assert [s.text for s in nested.concept_steps] == [
        "Download <product>",
        "Verify version <version> of <product>",
    ]


def test_concept_index_lists_concepts_with_values_and_params() -> None:
    concepts = spec.load_concepts(GRAMMAR)
    install = concepts.get("Install {} version {}")
    assert install is not None
    assert (install.heading, install.line, install.params) == (
        "Install <product> version <version>",
        1,
        ("product", "version"),
    )
    assert len(concepts) == 2


def test_circular_concepts_are_an_error_naming_the_concept_file_and_line() -> None:
    with pytest.raises(SpecSyntaxError, match="Circular reference found in concept") as caught:
        spec.load_concepts(DATA / "circular")
    assert (caught.value.path.name, caught.value.line) in {("loop.cpt", 1), ("loop.cpt", 4)}


def test_duplicate_concepts_are_an_error() -> None:
    text = "# Same <a>\n* x\n\n# Same <b>\n* y\n"
    concepts = spec.parse_concepts(text, path=Path("d.cpt"))
    with pytest.raises(SpecSyntaxError, match="Duplicate concept definition found"):
        spec.ConceptIndex(concepts)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("* step\n", 1, "Step is not defined inside a concept heading"),
        ('# Static "x"\n* step\n', 1, "Concept heading can have only Dynamic Parameters"),
        ("# Empty\n\n# Next\n* s\n", 1, "Concept should have at least one step"),
        ("# C\n## no\n* s\n", 2, "Scenario Heading is not allowed in concept file"),
        ("# C <a>\n* use <b>\n", 2, "Dynamic parameter <b> could not be resolved"),
        ("# C\n|a|\n", 2, "Table doesn't belong to any step"),
    ],
    ids=["step-outside", "static-heading", "no-steps", "scenario-heading", "unknown-param", "stray-table"],
)
def test_malformed_concept_files_raise_gauge_messages(text: str, line: int, message: str) -> None:
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_concepts(text, path=Path("c.cpt"))
    assert (caught.value.line, caught.value.reason) == (line, message)


def test_find_project_root_walks_up_to_manifest_json(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    nested = tmp_path / "specs" / "deep"
    nested.mkdir(parents=True)
    assert spec.find_project_root(nested / "x.spec") == tmp_path
    assert spec.find_project_root(GRAMMAR / "specs") == GRAMMAR
