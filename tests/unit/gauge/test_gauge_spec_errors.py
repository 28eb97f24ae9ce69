"""Malformed specs raise SpecSyntaxError with gauge's message, file and line (reference §2.2, §2.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import spec

MALFORMED = Path(__file__).parents[2] / "data" / "specs" / "malformed"

CASES = [
    ("empty.spec", 1, "Spec does not have any elements"),
    ("no_heading.spec", 1, "Spec heading not found"),
    ("empty_spec_heading.spec", 1, "Spec heading should have at least one character"),
    ("two_headings.spec", 4, "Multiple spec headings found in same file"),
    ("no_scenario.spec", 1, "Spec should have at least one scenario"),
    ("empty_scenario.spec", 4, "Scenario should have at least one step"),
    ("empty_scenario_heading.spec", 2, "Scenario heading should have at least one character"),
    (
        "duplicate_scenario.spec",
        4,
        "Duplicate scenario definition 'Same name' found in the same specification",
    ),
    ("scenario_before_heading.spec", 2, "Scenario should be defined after the spec heading"),
    ("unterminated_string.spec", 3, "String not terminated"),
    ("unterminated_dynamic.spec", 3, "Dynamic parameter not terminated"),
    ("reserved_brace.spec", 3, "'{' is a reserved character and should be escaped"),
    ("unresolved_dynamic.spec", 3, "Dynamic parameter <nowhere> could not be resolved"),
    ("scenario_tags_twice.spec", 5, "Tags can be defined only once per scenario"),
    ("spec_tags_twice.spec", 4, "Tags can be defined only once per specification"),
    ("short_teardown.spec", 4, "Teardown should have at least three underscore characters"),
    ("blank_table_header.spec", 4, "Table header should not be blank"),
    ("repeated_table_header.spec", 4, "Table header cannot have repeated column values"),
    ("blank_step.spec", 3, "Step should not be blank"),
    ("data_table_without_rows.spec", 3, "Data table should have at least 1 data row"),
    ("table_location_missing.spec", 2, "Table location not specified"),
]


def test_every_malformed_data_file_has_a_case() -> None:
    assert sorted(p.name for p in MALFORMED.glob("*.spec")) == sorted(name for name, _, _ in CASES)


@pytest.mark.parametrize(("name", "line", "message"), CASES, ids=[c[0].removesuffix(".spec") for c in CASES])
def test_malformed_spec_raises_gauge_message_at_its_line(name: str, line: int, message: str) -> None:
    path = MALFORMED / name
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec(path.read_text(encoding="utf-8"), path=path)
    assert (caught.value.path, caught.value.line, caught.value.reason) == (path, line, message)


def test_error_text_names_file_line_and_the_offending_line() -> None:
    path = MALFORMED / "unterminated_string.spec"
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec(path.read_text(encoding="utf-8"), path=path)
    assert str(caught.value) == f"{path}:3: String not terminated => '* Say \"unterminated'"


def test_further_errors_are_listed_in_the_hint() -> None:
    with pytest.raises(SpecSyntaxError) as caught:
        spec.parse_spec("# H\n## S\n* a {\n* b <c\n", path=Path("two.spec"))
    assert caught.value.line == 3
    assert caught.value.hint == "also: line 4: Dynamic parameter not terminated"
