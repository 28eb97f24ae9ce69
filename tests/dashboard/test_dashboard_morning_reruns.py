"""A morning of reruns seconds apart, the last with --fail-on none: what the axis and the run view say.

The time axis says clock times in whole seconds; a run whose failures were all outside --fail-on
says how many failed and that none gates the job, never a bare "passed".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from pytest_streamstress.testing.histories import generate_history

pytestmark = pytest.mark.browser

START = dt.datetime(2026, 11, 26, 9, 15, 33, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    history = generate_history(4, 6)
    for index, document in enumerate(history):
        started = START + dt.timedelta(seconds=3 * index)
        document["started_at"] = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        document["finished_at"] = (started + dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        document["run_id"] = f"run-{started.strftime('%Y%m%dT%H%M%SZ')}-{index:06x}"
    last = history[-1]
    last["scenarios"][1]["status"] = "failed"
    last["scenarios"][1]["category"] = "config-gap"
    last["counts"] = {
        key: sum(1 for s in last["scenarios"] if s["status"] == key)
        for key in ("passed", "failed", "error", "skipped")
    } | {"total": len(last["scenarios"]), "flaky": 0}
    last["status"] = "passed"  # what --fail-on none writes
    last["settings"] = {**last.get("settings", {}), "fail_on": ["none"]}
    return history


def test_runs_seconds_apart_get_clock_time_ticks_and_no_fractions(page: Any, site_url: str) -> None:
    page.goto(site_url)
    page.wait_for_selector("html[data-ready]")
    labels = page.locator("svg .axis .tick text").all_text_contents()
    times = [label for label in labels if re.fullmatch(r"09:1[56]:\d{2}", label)]
    assert len(times) >= 2, labels
    assert not [label for label in labels if label.startswith(".") or label.startswith(":")], labels


def test_a_run_passed_only_by_its_gate_says_so_and_counts_the_failures(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    last = documents[-1]
    failing = last["counts"]["failed"] + last["counts"]["error"]
    assert failing > 0
    page.goto(f"{site_url}#view=run&run={last['run_id']}")
    page.wait_for_selector("html[data-ready]")
    assert page.get_by_test_id("run-gate").text_content() == f"PASSED · {failing} failures, none gate the job"
    # A run that failed its gate keeps its plain status and no note.
    failed = next(d for d in documents if d["status"] == "failed")
    page.goto(f"{site_url}#view=run&run={failed['run_id']}")
    page.wait_for_selector("html[data-ready]")
    # The view re-renders on the hash change; wait for it rather than read the previous run's title.
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=run-gate]') || {}).textContent?.startsWith('FAILED')"
    )
    assert "none gate" not in page.get_by_test_id("run-gate").text_content()


def test_grid_columns_of_runs_on_one_day_carry_their_times(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    page.goto(f"{site_url}#view=grid")
    page.wait_for_selector("html[data-ready]")
    page.wait_for_selector('[data-testid="grid-column"]')
    labels = page.get_by_test_id("grid-column").all_text_contents()
    expected = [f"11-26 {d['started_at'][11:16]}" for d in reversed(documents)]
    assert labels == expected
