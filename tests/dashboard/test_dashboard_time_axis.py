"""Runs minutes apart (a demo, or reruns in one morning): the time axis says clock times, whole seconds."""

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
    return history


def test_runs_seconds_apart_get_clock_time_ticks_and_no_fractions(page: Any, site_url: str) -> None:
    page.goto(site_url)
    page.wait_for_selector("html[data-ready]")
    labels = page.locator("svg .axis .tick text").all_text_contents()
    times = [label for label in labels if re.fullmatch(r"09:1[56]:\d{2}", label)]
    assert len(times) >= 2, labels
    assert not [label for label in labels if label.startswith(".") or label.startswith(":")], labels
