"""Multi-line string arguments and external CSV data tables (reference gauge.md §2.1, §2.4).

Facts from gauge v1.6.28: lex.go takes the lines between a `\"\"\"` line right after a step line and
the next `\"\"\"` line, as written and joined by newlines, as the step's argument; specparser.go
CreateStepUsingLookup makes it a Multiline_String parameter and leaves the step value alone. An
unclosed block is not an error: the lines are classified as usual. `table: x.csv` is read from the
project root (util.GetPathToFile) with Go's encoding/csv (`#` comments); a file that cannot be read
is "Could not resolve table from <line>" at the `table:` line.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import spec
from pytest_streamstress.gauge.parse.spec import Spec, StepArg, Table

QUOTES = '"' * 3


def parse_text(text: str) -> Spec:
    return spec.parse_spec(textwrap.dedent(text).replace("'''", QUOTES), path=Path("inline.spec"))


def write_project(root: Path, spec_text: str, **files: str) -> Path:
    """A Gauge project in `root` (manifest.json) with `specs/x.spec` and `files` (relative path: text)."""
    (root / "specs").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go"}')
    for relpath, text in files.items():
        target = root / relpath.replace("__", "/").replace("_csv", ".csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    path = root / "specs" / "x.spec"
    path.write_text(textwrap.dedent(spec_text))
    return path


# --- multi-line string arguments ---------------------------------------------------------------


def test_block_after_a_step_is_its_multiline_argument_with_lines_as_written() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * Apply the manifest
        '''
        kind: ConfigMap
          name: "x"

        * not a step
        '''
        * Next step
        """
    )
    steps = parsed.scenarios[0].steps
    assert steps[0].args == (StepArg(kind="multiline", value='kind: ConfigMap\n  name: "x"\n\n* not a step'),)
    assert [(s.text, s.line) for s in steps] == [("Apply the manifest", 3), ("Next step", 10)]


def test_multiline_argument_leaves_the_step_value_unchanged() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * Apply the manifest
        '''
        a
        '''
        """
    )
    assert parsed.scenarios[0].steps[0].value == "Apply the manifest"


def test_table_after_a_closed_block_is_still_the_steps_inline_table() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * Post
        '''
        body
        '''

        |k|
        |v|
        """
    )
    step = parsed.scenarios[0].steps[0]
    assert (step.value, step.args) == (
        "Post {}",
        (StepArg(kind="multiline", value="body"), StepArg(kind="table", value="")),
    )
    assert step.table == Table(headers=("k",), rows=(("v",),), line=8)


def test_empty_block_is_an_empty_multiline_argument() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * Post nothing
        '''
        '''
        """
    )
    assert parsed.scenarios[0].steps[0].args == (StepArg(kind="multiline", value=""),)


def test_unterminated_block_is_ignored_and_the_following_lines_parse_as_usual() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * Open a block
        '''
        * Second step
        """
    )
    steps = parsed.scenarios[0].steps
    assert [(s.text, s.args) for s in steps] == [("Open a block", ()), ("Second step", ())]


def test_unterminated_block_leaves_a_warning_naming_the_opening_line() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * Open a block
        '''
        text
        """
    )
    assert parsed.warnings == (
        "inline.spec:3 Multi-line string opened on line 4 is never closed by a triple-quote line: "
        "gauge reads it and the lines after it as ordinary spec lines",
    )


def test_block_after_a_blank_line_is_not_an_argument_and_its_lines_are_ordinary() -> None:
    parsed = parse_text(
        """\
        # Spec
        ## Scenario
        * First step

        '''
        * Inside quotes
        '''
        """
    )
    steps = parsed.scenarios[0].steps
    assert [(s.text, s.args, s.line) for s in steps] == [("First step", (), 3), ("Inside quotes", (), 6)]


def test_block_after_a_step_with_parameters_is_gauges_step_text_error() -> None:
    with pytest.raises(SpecSyntaxError) as caught:
        parse_text(
            """\
            # Spec
            ## Scenario
            * Create "pipeline.yaml"
            '''
            body
            '''
            """
        )
    assert (caught.value.line, caught.value.reason) == (
        3,
        "Step text should not have '{static}' or '{dynamic}' or '{special}'",
    )


def test_concept_steps_take_multiline_arguments_too() -> None:
    text = textwrap.dedent(
        """\
        # Apply defaults
        * Apply
        '''
        a: 1
        '''
        """
    ).replace("'''", QUOTES)
    (concept,) = spec.parse_concepts(text, path=Path("c.cpt"))
    assert concept.steps[0].args == (StepArg(kind="multiline", value="a: 1"),)


# --- external CSV data tables --------------------------------------------------------------------

EXTERNAL_SPEC = """\
    # People
    table: data/people.csv

    ## Greets
    * Greet <first> <last>

    ## Waves
    * Wave
    """
INLINE_SPEC = """\
    # People
    |first|last    |
    |-----|--------|
    |Ada  |Lovelace|
    |Alan |Turing  |

    ## Greets
    * Greet <first> <last>

    ## Waves
    * Wave
    """
PEOPLE_CSV = """\
    first,last
    # a comment line, skipped as Go's csv reader does with Comment = '#'
    Ada,Lovelace

    Alan,Turing
    """


def test_external_table_is_read_from_the_project_root(tmp_path: Path) -> None:
    path = write_project(tmp_path, EXTERNAL_SPEC, data__people_csv=PEOPLE_CSV)
    parsed = spec.parse_spec_file(path)
    assert parsed.data_table == Table(
        headers=("first", "last"),
        rows=(("Ada", "Lovelace"), ("Alan", "Turing")),
        line=2,
        external="data/people.csv",
    )


def test_scenario_external_table_is_read_too(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        """\
        # People
        ## Greets
        table: data/people.csv
        * Greet <first>
        """,
        data__people_csv=PEOPLE_CSV,
    )
    table = spec.parse_spec_file(path).scenarios[0].data_table
    assert table is not None
    assert (table.headers, table.rows, table.line) == (
        ("first", "last"),
        (("Ada", "Lovelace"), ("Alan", "Turing")),
        3,
    )


def test_dynamic_parameter_not_in_the_csv_header_is_unresolved(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        """\
        # People
        table: data/people.csv
        ## Greets
        * Greet <nickname>
        """,
        data__people_csv=PEOPLE_CSV,
    )
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec_file(path)
    assert (caught.value.line, caught.value.reason) == (
        4,
        "Dynamic parameter <nickname> could not be resolved",
    )


def test_missing_csv_is_one_error_naming_spec_table_line_and_csv_path(tmp_path: Path) -> None:
    path = write_project(tmp_path, EXTERNAL_SPEC)
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec_file(path)
    assert (caught.value.path, caught.value.line, caught.value.reason) == (
        path,
        2,
        "Could not resolve table from table: data/people.csv",
    )
    assert str(caught.value) == (
        f"{path}:2: Could not resolve table from table: data/people.csv => 'table: data/people.csv'\n"
        f"  hint: {tmp_path / 'data' / 'people.csv'}: no such file"
    )


def test_csv_with_a_short_record_cannot_be_resolved_and_the_hint_names_its_line(tmp_path: Path) -> None:
    path = write_project(tmp_path, EXTERNAL_SPEC, data__people_csv="first,last\nAda\n")
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec_file(path)
    assert caught.value.reason == "Could not resolve table from table: data/people.csv"
    assert caught.value.hint == (
        f"{tmp_path / 'data' / 'people.csv'}: record on line 2: wrong number of fields (1, the header has 2)"
    )


def test_csv_with_only_a_header_is_a_data_table_without_rows(tmp_path: Path) -> None:
    path = write_project(tmp_path, EXTERNAL_SPEC, data__people_csv="first,last\n")
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec_file(path)
    assert (caught.value.line, caught.value.reason) == (2, "Data table should have at least 1 data row")


def test_an_empty_csv_is_one_error_saying_so(tmp_path: Path) -> None:
    path = write_project(tmp_path, EXTERNAL_SPEC, data__people_csv="# only a comment\n\n")
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec_file(path)
    assert caught.value.line == 2
    assert "the file is empty" in str(caught.value)


def test_csv_cells_are_kept_as_written_and_the_delimiter_is_configurable(tmp_path: Path) -> None:
    csv_path = tmp_path / "t.csv"
    csv_path.write_text('a;b\n x ;"y;z"\n')
    assert spec.read_csv_table(csv_path, delimiter=";") == (["a", "b"], [(" x ", "y;z")])


def test_text_parse_without_a_loader_only_records_the_external_path() -> None:
    parsed = parse_text(EXTERNAL_SPEC)
    assert parsed.data_table == Table(headers=(), rows=(), line=2, external="data/people.csv")
