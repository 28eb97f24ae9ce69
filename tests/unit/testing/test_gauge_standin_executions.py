"""Which scenario executions the gauge stand-in runs: data rows, spans, tags (reference gauge.md §2.4, §2.6).

Specs are read by the stand-in's own reader; expected values come from gauge's rules.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_streamstress.testing.standins import gauge_reader
from pytest_streamstress.testing.standins.gauge_project import FileSelection, Filters, executions
from pytest_streamstress.testing.standins.gauge_steps import DataFiles
from pytest_streamstress.testing.standins.gauge_tags import parse_tag_expression

EVERYTHING = Filters(tags=None, scenarios=(), table_rows="")
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
PEOPLE_CSV = "first,last\n# a comment line, skipped as Go's csv reader does\nAda,Lovelace\n\nAlan,Turing\n"

Run = tuple[str, int | None, tuple[str, ...], tuple[str, ...]]


def runs(
    root: Path, spec_text: str, filters: Filters = EVERYTHING, *, lines: tuple[int, ...] = ()
) -> list[Run]:
    path = root / "specs" / "x.spec"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(spec_text))
    spec = gauge_reader.read_spec_file(path, files=DataFiles(root))
    selection = FileSelection(path, whole=not lines, lines=list(lines))
    return [
        (e.scenario.heading, e.row.index, e.row.headers, e.row.cells)
        if e.row
        else (e.scenario.heading, None, (), ())
        for e in executions(spec, selection, filters)
    ]


def test_external_table_rows_expand_exactly_like_the_same_inline_table(tmp_path: Path) -> None:
    (tmp_path / "ext" / "data").mkdir(parents=True)
    (tmp_path / "ext" / "data" / "people.csv").write_text(PEOPLE_CSV)
    assert runs(tmp_path / "ext", EXTERNAL_SPEC) == runs(tmp_path / "inl", INLINE_SPEC)
    assert runs(tmp_path / "inl", INLINE_SPEC) == [
        ("Greets", 1, ("first", "last"), ("Ada", "Lovelace")),
        ("Greets", 2, ("first", "last"), ("Alan", "Turing")),
        ("Waves", None, (), ()),
    ]


def test_spec_line_selects_the_scenario_whose_span_holds_it(tmp_path: Path) -> None:
    spec = "# S\n\n## One\n* a\n\n## Two\n* b\n"
    assert [r[0] for r in runs(tmp_path, spec, lines=(5,))] == ["One"]


def test_tag_filter_sees_the_spec_tags_too(tmp_path: Path) -> None:
    spec = "# S\nTags: pruner\n## One\nTags: e2e\n* a\n## Two\n* b\n"
    filters = Filters(tags=parse_tag_expression("pruner & e2e"), scenarios=(), table_rows="")
    assert [r[0] for r in runs(tmp_path, spec, filters)] == ["One"]
