"""Stage two of the gauge stand-in's own spec reading: spec text in, `Spec` or gauge's problems out.

Expected values are written from gauge v1.6.28's converters and checks (reference gauge.md §2.2-§2.4,
G parser/convert.go, specparser.go), never taken from the plugin's parser.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.testing.standins import gauge_reader
from pytest_streamstress.testing.standins.gauge_spec import Spec, SpecError, StepArg, Table
from pytest_streamstress.testing.standins.gauge_steps import DataFiles

PATH = Path("/p/specs/x.spec")
QUOTES = '"' * 3


def read(text: str, files: DataFiles | None = None) -> Spec:
    return gauge_reader.read_spec(textwrap.dedent(text).replace("'''", QUOTES), path=PATH, files=files)


def problems(text: str, files: DataFiles | None = None) -> list[str]:
    with pytest.raises(SpecError) as caught:
        read(text, files)
    return [str(problem).removeprefix(f"{PATH}:") for problem in caught.value.problems]


DEMO = """\
    PIPELINES-99

    # Demo spec
    Tags: demo

    * Validate Operator should be installed

    ## Create a thing: PIPELINES-99-TC01
    Tags: e2e, sanity

    * Create "a.yaml"
    * Verify it

    ## Break & check: PIPELINES-99-TC02
    Tags: e2e, tls

    * Create
      |S.NO|resource_dir|
      |----|------------|
      |1   |x.yaml|
    * Verify pipelinerun
    """


def test_spec_heading_and_scenarios_keep_their_lines() -> None:
    spec = read(DEMO)
    assert (spec.heading, spec.heading_line) == ("Demo spec", 3)
    assert [(s.heading, s.line) for s in spec.scenarios] == [
        ("Create a thing: PIPELINES-99-TC01", 8),
        ("Break & check: PIPELINES-99-TC02", 14),
    ]


def test_scenario_inherits_spec_tags() -> None:
    first = read(DEMO).scenarios[0]
    assert (first.tags, first.spec_tags) == (("e2e", "sanity"), ("demo",))
    assert set(first.all_tags) == {"demo", "e2e", "sanity"}


def test_steps_before_the_first_scenario_are_context_steps() -> None:
    spec = read(DEMO)
    assert [(s.text, s.line) for s in spec.context_steps] == [("Validate Operator should be installed", 6)]


def test_scenario_span_ends_before_the_next_heading_and_the_last_one_at_the_last_token() -> None:
    spec = read(DEMO + "\n\n")
    assert [(s.line, s.span_end) for s in spec.scenarios] == [(8, 13), (14, 21)]


def test_table_after_a_step_is_its_inline_table_without_the_separator_row() -> None:
    create = read(DEMO).scenarios[1].steps[0]
    assert (create.text, create.line, create.value) == ("Create", 17, "Create {}")
    assert create.table == Table(headers=("S.NO", "resource_dir"), rows=(("1", "x.yaml"),), line=18)


def test_step_arguments_keep_their_kinds() -> None:
    spec = read(
        """\
        # S
        |name|
        |Ada |
        ## A
        * Greet <name> with "hi"
        * Post
        '''
        body
        '''
        """
    )
    greet, post = spec.scenarios[0].steps
    assert (greet.value, greet.args) == (
        "Greet {} with {}",
        (StepArg(kind="dynamic", value="name"), StepArg(kind="static", value="hi")),
    )
    assert (post.value, post.args) == ("Post", (StepArg(kind="multiline", value="body"),))


@pytest.mark.parametrize(
    ("text", "spec_table", "scenario_table"),
    [
        ("# S\n|a|\n|1|\n## A\n* x <a>\n", Table(headers=("a",), rows=(("1",),), line=2), None),
        ("# S\n## A\n|a|\n|1|\n* x <a>\n", None, Table(headers=("a",), rows=(("1",),), line=3)),
        ("# S\n* ctx\nnote\n|a|\n|1|\n## A\n* x\n", Table(headers=("a",), rows=(("1",),), line=4), None),
    ],
    ids=["spec-table", "scenario-table", "comment-between-step-and-table"],
)
def test_table_not_right_after_a_step_is_a_data_table(
    text: str, spec_table: Table | None, scenario_table: Table | None
) -> None:
    spec = read(text)
    assert (spec.data_table, spec.scenarios[0].data_table) == (spec_table, scenario_table)


def test_second_data_table_is_ignored() -> None:
    spec = read("# S\n|a|\n|1|\n\n|b|\n|2|\n## A\n* x <a>\n")
    assert spec.data_table == Table(headers=("a",), rows=(("1",),), line=2)


def test_rows_are_cut_or_padded_to_the_header_width() -> None:
    step = read("# S\n## A\n* x\n|a|b|\n|1|\n|1|2|3|\n").scenarios[0].steps[0]
    assert step.table is not None
    assert step.table.rows == (("1", ""), ("1", "2"))


def test_steps_after_underscores_are_teardown_steps_with_their_tables() -> None:
    spec = read("# T\n## A\n* a\n___\n* clean up\n  |k|\n  |v|\n")
    (teardown,) = spec.teardown_steps
    assert (teardown.text, teardown.line, teardown.table) == (
        "clean up",
        5,
        Table(headers=("k",), rows=(("v",),), line=6),
    )
    assert [s.text for s in spec.scenarios[0].steps] == ["a"]


def test_scenario_after_a_teardown_takes_its_steps_again() -> None:
    spec = read("# T\n## A\n* a\n___\n* t1\n## B\n* b\n")
    assert ([s.text for s in spec.teardown_steps], [s.text for s in spec.scenarios[1].steps]) == (
        ["t1"],
        ["b"],
    )


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("# U\n## A\nTags: a\nTags: b\n* x\n", ("a", "b")),
        ("# U\n## A\nTags: a,\n  b, c\n* x\n", ("a", "b", "c")),
        ("# U\n## A\nTags:\nTags: b\n* x\n", ("b",)),
    ],
    ids=["repeated-line-adds", "continued-line", "empty-first-line"],
)
def test_scenario_tag_lines_that_follow_each_other_add_up(text: str, tags: tuple[str, ...]) -> None:
    assert read(text).scenarios[0].tags == tags


def test_setext_headings_are_headings() -> None:
    spec = read("Setext spec\n===========\n\nScenario one\n------------\n* step\n")
    assert (spec.heading, [(s.heading, s.line) for s in spec.scenarios]) == (
        "Setext spec",
        [("Scenario one", 4)],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Broken\n\n## No steps here\n", ["3 Scenario should have at least one step => ''"]),
        ("", ["1 Spec does not have any elements => ''"]),
        ("\n\n", ["1 Spec heading not found => ''"]),
        ("# Only heading\n* ctx\n", ["1 Spec should have at least one scenario => ''"]),
        ("# U\n|a|\n## A\n* x <a>\n", ["2 Data table should have at least 1 data row => ''"]),
        (
            "# D\n## Same\n* a\n## same\n* b\n",
            ["4 Duplicate scenario definition 'Same' found in the same specification => '## same'"],
        ),
        ("# U\n# V\n## A\n* x\n", ["2 Multiple spec headings found in same file => '# V'"]),
        ("# U\n## A\n* Use <nope>\n", ["3 Dynamic parameter <nope> could not be resolved => 'Use <nope>'"]),
        (
            "# U\n## A\nTags: a\n\nTags: b\n* x\n",
            ["5 Tags can be defined only once per scenario => 'Tags: b'"],
        ),
        (
            "# U\nTags: a\n\nTags: b\n## A\n* x\n",
            ["4 Tags can be defined only once per specification => 'Tags: b'"],
        ),
        (
            "## Scen\n* a\n",
            [
                "1 Spec does not have any elements => ''",
                "1 Scenario should be defined after the spec heading => '## Scen'",
            ],
        ),
        (
            '# U\n## A\n* Use "open\n## B\n* Use <nope>\n## C\n',
            [
                "3 String not terminated => 'Use \"open'",
                "6 Scenario should have at least one step => ''",
                "5 Dynamic parameter <nope> could not be resolved => 'Use <nope>'",
            ],
        ),
    ],
    ids=[
        "scenario-without-steps",
        "empty-file",
        "no-heading",
        "no-scenario",
        "data-table-without-rows",
        "duplicate-scenario-any-case",
        "two-spec-headings",
        "unknown-dynamic-parameter",
        "second-scenario-tag-line",
        "second-spec-tag-line",
        "scenario-before-heading",
        "lexer-then-check-then-converters",
    ],
)
def test_problems_are_gauges_messages_in_gauges_order(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_context_step_may_not_use_a_scenario_table_column() -> None:
    assert problems("# T\n* c <x>\n## A\n|x|\n|1|\n* s\n") == [
        "2 Dynamic parameter <x> could not be resolved => 'c <x>'"
    ]


def test_bom_is_not_removed_so_the_heading_on_line_one_is_a_comment() -> None:
    assert problems("\ufeff# T\n## A\n* x\n")[0] == "1 Spec heading not found => ''"


# --- data files: `table: x.csv` and `<file:x>` read from the project root --------------------------


@pytest.fixture
def files(tmp_path: Path) -> DataFiles:
    (tmp_path / "people.csv").write_text("first,last\n# a comment\nAda,Lovelace\n\nAlan,Turing\n")
    (tmp_path / "empty.csv").write_text("# nothing\n\n")
    (tmp_path / "short.csv").write_text("a,b\n1\n")
    (tmp_path / "body.txt").write_text("hello")
    return DataFiles(tmp_path)


def test_external_table_is_read_from_the_project_root(files: DataFiles) -> None:
    spec = read("# People\ntable: people.csv\n## Greets\n* Greet <first> <last>\n", files)
    assert spec.data_table == Table(
        headers=("first", "last"), rows=(("Ada", "Lovelace"), ("Alan", "Turing")), line=2
    )


def test_scenario_external_table_is_the_scenarios_data_table(files: DataFiles) -> None:
    spec = read("# People\n## Greets\ntable: people.csv\n* Greet <last>\n", files)
    assert spec.scenarios[0].data_table is not None
    assert spec.scenarios[0].data_table.line == 3


def test_csv_without_records_gives_no_data_table(files: DataFiles) -> None:
    assert read("# T\ntable: empty.csv\n## A\n* w\n", files).data_table is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# T\ntable: nope.csv\n## A\n* w\n",
            "2 Could not resolve table. File {root}/nope.csv doesn't exist.",
        ),
        (
            "# T\ntable: short.csv\n## A\n* w\n",
            "2 Could not resolve table. record on line 2: wrong number of fields",
        ),
        ("# T\n## A\n* Read <file:nope.txt>\n", "3 Dynamic parameter <file:nope.txt> could not be resolved"),
        (
            "# T\n## A\n* x\n|f|\n|<file:nope.txt>|\n",
            "5 Dynamic param <file:nope.txt> could not be resolved, Missing file: nope.txt",
        ),
    ],
    ids=["missing-csv", "short-csv-record", "missing-file-parameter", "missing-file-cell"],
)
def test_unusable_data_file_is_a_problem_naming_it(files: DataFiles, text: str, expected: str) -> None:
    (found,) = problems(text, files)
    assert found.split(" => ")[0] == expected.format(root=files.root)


def test_readable_file_parameter_is_kept_as_written(files: DataFiles) -> None:
    step = read("# T\n## A\n* Read <file:body.txt>\n", files).scenarios[0].steps[0]
    assert step.args == (StepArg(kind="special", value="file:body.txt"),)


def test_unknown_special_prefix_is_a_dynamic_name() -> None:
    step = read("# T\n|x:y|\n|1|\n## A\n* Read <x:y>\n").scenarios[0].steps[0]
    assert step.args == (StepArg(kind="dynamic", value="x:y"),)


def test_spec_file_is_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "a.spec"
    path.write_text("# A\n## One\n* step\n")
    assert gauge_reader.read_spec_file(path).scenarios[0].heading == "One"


def test_project_root_is_the_nearest_directory_with_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "specs" / "deep").mkdir(parents=True)
    assert gauge_reader.find_project_root(tmp_path / "specs" / "deep") == tmp_path
