"""Pure formatting rules of the gauge stand-in: Go durations, Go XML escaping, pflag, outcome file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.testing.standins.gauge_cli import UsageError, parse_run_args
from pytest_streamstress.testing.standins.gauge_model import go_duration
from pytest_streamstress.testing.standins.gauge_outcomes import OutcomeFileError, load_outcomes
from pytest_streamstress.testing.standins.gauge_project import parse_properties
from pytest_streamstress.testing.standins.gauge_xml import go_escape

pytestmark = pytest.mark.tools


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.95, "950ms"),
        (5.907, "5.907s"),
        (60, "1m0s"),
        (822.898, "13m42.898s"),
        (3723.4, "1h2m3.4s"),
    ],
)
def test_durations_print_like_go_time_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_xml_escaping_follows_go_encoding_xml() -> None:
    assert go_escape("a&b<c>\"d'\te\nf\rg\x1bh") == "a&amp;b&lt;c&gt;&#34;d&#39;&#x9;e&#xA;f&#xD;g\ufffdh"


def test_pflag_parsing_accepts_attached_grouped_and_no_option_forms() -> None:
    options = parse_run_args(
        ["-vp", "-n2", "--tags=e2e", "-s", "specs", "--max-retries-count", "3", "x.spec:4"]
    )
    assert (options.flag("verbose"), options.flag("parallel"), options.number("n")) == (True, True, 2)
    assert (options.text("tags"), options.text("sort"), options.number("max-retries-count")) == (
        "e2e",
        "alpha",
        3,
    )
    assert options.args == ["specs", "x.spec:4"]


def test_pflag_reports_a_missing_flag_argument_like_cobra() -> None:
    with pytest.raises(UsageError, match=r"^flag needs an argument: --tags$"):
        parse_run_args(["--tags"])


def test_properties_keep_trailing_spaces_of_values() -> None:
    assert parse_properties("# c\n overwrite_reports = true \nlogs_directory=logs\n") == {
        "overwrite_reports": "true ",
        "logs_directory": "logs",
    }


def test_outcome_file_rejects_unknown_keys_with_the_entry_number(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text(
        '[[scenario]]\nmatch = "a"\n[[scenario]]\nmatch = "b"\nmesage = "typo"\n', encoding="utf-8"
    )
    with pytest.raises(OutcomeFileError, match=r"\[\[scenario\]\] #2: unknown key\(s\) mesage"):
        load_outcomes(path)


def test_flaky_rule_fails_only_on_the_first_attempts(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text('[[scenario]]\nmatch = "TC01"\nfail_attempts = 2\n', encoding="utf-8")
    rule = load_outcomes(path).for_scenario(spec_path="/x.spec", heading="A: TC01", step_texts=())
    assert rule is not None
    assert [rule.fails_on(n) for n in (1, 2, 3)] == [True, True, False]
