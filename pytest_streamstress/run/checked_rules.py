"""The categories file and `--fail-on`, checked at start-up: a typo costs a usage error, not a clone.

Read once by `session.configure_session` before any work starts; the Recorder gets the rules.
"""

from __future__ import annotations

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.options import Settings
from pytest_streamstress.report.results_json import CONFIRMED, EXCLUDE_KNOWN
from pytest_streamstress.triage import categorize


def load_checked_rules(settings: Settings) -> categorize.Rules:
    """The categories file and `--fail-on` checked before any work starts (a typo costs no clone)."""
    try:
        rules = categorize.load_rules(settings.categories)
    except ConfigError as exc:
        raise pytest.UsageError(f"--categories: {exc}") from None
    known = {cid for cid, _label in rules.labels} | {rules.default_category}
    for value in settings.fail_on:
        if value not in known | {"all", "none", EXCLUDE_KNOWN, CONFIRMED}:
            raise pytest.UsageError(
                f"--fail-on: unknown category {value!r}; use 'all', 'none', 'confirmed', '-known' or"
                f" categories from {rules.source or 'the shipped categories.toml'}:"
                f" {', '.join(sorted(known))}"
            )
    _check_fail_on_combination(settings.fail_on)
    if CONFIRMED in settings.fail_on and not settings.confirm:
        raise pytest.UsageError(
            "--fail-on confirmed: only --confirm proves regressions; add --confirm (ini streamstress_confirm)"
        )
    return rules


def _check_fail_on_combination(fail_on: tuple[str, ...]) -> None:
    """`none,upstream-regression` or `all,config-gap` say two things; the run would obey one silently."""
    given = ",".join(fail_on)
    rest = [v for v in fail_on if v not in {"none", EXCLUDE_KNOWN}]
    if "none" in fail_on and (rest or EXCLUDE_KNOWN in fail_on):
        raise pytest.UsageError(
            f"--fail-on: {given!r} combines 'none' with other values; 'none' means no failure fails the"
            " session: give --fail-on none alone, or leave none out"
        )
    categories = [v for v in fail_on if v not in {"all", "none", EXCLUDE_KNOWN}]
    if "all" in fail_on and categories:
        raise pytest.UsageError(
            f"--fail-on: {given!r} combines 'all' with categories; 'all' already includes them: give"
            " --fail-on all (maybe with -known), or only the categories"
        )
    if CONFIRMED in fail_on and "upstream-regression" in fail_on:
        raise pytest.UsageError(
            f"--fail-on: {given!r}: 'upstream-regression' gates every regression and 'confirmed' only the"
            " proven ones; give one of them"
        )
    if len(set(fail_on)) != len(fail_on):
        raise pytest.UsageError(f"--fail-on: {given!r} names a value twice")
