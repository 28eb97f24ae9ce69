"""Option parsing: every parse function, the table's invariants, and the README staying in sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pytest_streamstress.model import ComponentRequest
from pytest_streamstress.options import OPTIONS, options_markdown
from pytest_streamstress.options.parse import (
    parse_bool,
    parse_components,
    parse_date,
    parse_image_assignment,
    parse_parallel,
    parse_size,
)
from pytest_streamstress.options.table import OPTIONS_BY_NAME
from pytest_streamstress.testing.embedded import PROFILE_INTERVAL_S

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pipeline", (ComponentRequest(name="pipeline"),)),  # type: ignore[arg-type]
        ("pipeline:v0.62.0", (ComponentRequest(name="pipeline", ref="v0.62.0"),)),  # type: ignore[arg-type]
        ("pipeline:pr/123", (ComponentRequest(name="pipeline", pull_request=123),)),  # type: ignore[arg-type]
        (
            " pipeline , triggers:main ",
            (ComponentRequest(name="pipeline"), ComponentRequest(name="triggers", ref="main")),  # type: ignore[arg-type]
        ),
        ("pipeline,", (ComponentRequest(name="pipeline"),)),  # type: ignore[arg-type]
    ],
    ids=["name", "tag", "pull-request", "list-with-spaces", "trailing-comma"],
)
def test_components_syntax_parses_every_ref_form(text: str, expected: tuple[ComponentRequest, ...]) -> None:
    assert parse_components(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("pipeline:", "empty ref"),
        ("pipeline,pipeline:v1", "given twice"),
        ("Pipe Line", "is not 'name'"),
        ("pipeline:pr/abc", "pr/<number>"),
        ("pipeline,,triggers", r"entry 2 is empty \(two commas in a row\?\)"),
        ("", "no component named: leave the option out to build all components"),
        ("  ", "no component named"),
    ],
    ids=["empty-ref", "duplicate", "bad-name", "bad-pr", "empty-entry", "empty-list", "blank-list"],
)
def test_components_syntax_errors_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_components(text)


def test_pull_request_request_fetches_the_pull_head_ref() -> None:
    (request,) = parse_components("chains:pr/7")
    assert request.git_ref == "refs/pull/7/head"
    assert str(request) == "chains:pr/7"


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("No", False), ("1", True), ("off", False)])
def test_booleans_accept_ini_spellings(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


def test_sizes_accept_decimal_and_binary_units() -> None:
    assert parse_size("50MB") == 50_000_000
    assert parse_size("1GiB") == 2**30
    assert parse_size("1234") == 1234
    with pytest.raises(ValueError, match="size"):
        parse_size("fifty")


def test_dates_must_be_iso() -> None:
    assert parse_date("2026-11-01") == dt.date(2026, 11, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date("01/11/2026")


def test_image_assignment_needs_name_and_ref() -> None:
    assert parse_image_assignment("pipeline-controller=r/ns/x@sha256:ab") == (
        "pipeline-controller",
        "r/ns/x@sha256:ab",
    )
    with pytest.raises(ValueError, match="NAME=REF"):
        parse_image_assignment("pipeline-controller")


def test_parallel_auto_means_take_it_from_the_profile() -> None:
    assert parse_parallel("auto") is None
    assert parse_parallel("3") == 3


def test_every_option_has_a_flag_an_ini_key_and_help_without_final_stop() -> None:
    flags = [opt.flag for opt in OPTIONS]
    inis = [opt.ini for opt in OPTIONS]
    assert len(set(flags)) == len(flags)
    assert len(set(inis)) == len(inis)
    for opt in OPTIONS:
        assert opt.help[0].isupper(), opt.name
        assert not opt.help.endswith("."), opt.name
        assert opt.ini.startswith("streamstress"), opt.name


def test_readme_option_table_matches_the_options() -> None:
    """The README's table is generated from OPTIONS (`streamstress options --markdown`); it must not drift."""
    assert options_markdown() in README.read_text(encoding="utf-8")


def test_profile_interval_help_names_the_emulated_clusters_own_default() -> None:
    """`--cluster emulated` samples every PROFILE_INTERVAL_S unless the option is given (run/session.py)."""
    text = OPTIONS_BY_NAME["profile_interval"].help
    assert f"with --cluster emulated {PROFILE_INTERVAL_S:g} unless given" in text
