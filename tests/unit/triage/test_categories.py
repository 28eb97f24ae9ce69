"""Categories: run-decided ones (harness, unattributed) exist in every rules file and no rule names them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage.categorize import load_rules


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_team_file_without_the_run_categories_still_gets_them(tmp_path: Path) -> None:
    rules = load_rules(
        write_rules(
            tmp_path,
            """
            default_category = "upstream-regression"
            [[category]]
            id = "upstream-regression"
            label = "Upstream Regression"
            """,
        )
    )
    assert rules.categories == ("upstream-regression",)
    assert rules.label("harness") == "Harness Failure"
    assert rules.label("unattributed") == "Unattributed"


def test_a_rule_naming_harness_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[category]]
        id = "upstream-regression"
        [[rule]]
        name = "crash"
        category = "harness"
        message = 'SIGSEGV'
        """,
    )
    with pytest.raises(ConfigError, match="category 'harness' is decided by the run, not by rules"):
        load_rules(path)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('id = "config-gap"\ncolor = "red"', "color 'red' is not #rrggbb"),
        ('id = "config-gap"\ndecided_by = "run"', "decided_by = 'run' is not possible"),
        ('id = "config-gap"\nshade = "#ffffff"', "unknown key\\(s\\) shade"),
    ],
    ids=["colour-not-hex", "rule-category-decided-by-run", "unknown-key"],
)
def test_a_bad_category_entry_names_the_category_and_the_fix(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(f"[[category]]\n{entry}\n")
    with pytest.raises(ConfigError, match=message):
        load_rules(path)
