"""Charts and the profile view stay readable (issue 20): 90 runs x 200 scenarios, and runs with no usage.

A person must see five failures next to two hundred passes: the failures get their own scale, the
pass rate's axis starts near its band; count axes carry whole numbers only; a run that measured no
usage says so in words.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from pytest_streamstress.testing.histories import generate_history

RUNS = 90
SCENARIOS = 200
NO_USAGE = "no usage measured"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    documents = generate_history(RUNS, SCENARIOS, profile=True)
    for index, recommendation in ((RUNS - 1, (1, NO_USAGE)), (RUNS - 2, (1, "memory"))):
        profile = documents[index]["profile"] = copy.deepcopy(
            documents[index]["profile"] or documents[0]["profile"]
        )
        count, resource = recommendation
        profile["recommendation"].update(
            {
                "max_parallel_specs": count,
                "limiting_resource": resource,
                "sentence": f"You can safely run {count} specs in parallel (limited by {resource})",
            }
        )
        if resource == NO_USAGE:
            for heavy in profile["heaviest"]:
                heavy.update({"peak_cpu_m": 0.0, "peak_memory_b": 0, "peak_pods": 0})
    return documents


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]")


def ticks(page: Any, testid: str) -> list[str]:
    """The tick labels of an axis, as drawn (SVG text has no innerText)."""
    return page.locator(f'[data-testid="{testid}"] .tick text').evaluate_all(
        "ts => ts.map(t => t.textContent)"
    )


def test_failures_get_their_own_scale_beside_two_hundred_passes(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    most = max(d["counts"]["failed"] + d["counts"]["error"] for d in documents)
    failures = [int(t) for t in ticks(page, "axis-failures")]
    assert max(failures) < 2 * most + 5, failures  # the failing band fills its panel
    passed = [int(t) for t in ticks(page, "axis-passed")]
    assert min(passed) > 0  # the passed panel is zoomed on its own range


def test_the_pass_rate_axis_starts_near_the_lowest_pass_rate(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    lowest = min(
        100 * d["counts"]["passed"] / (d["counts"]["passed"] + d["counts"]["failed"] + d["counts"]["error"])
        for d in documents
    )
    first = int(ticks(page, "axis-passrate")[0].rstrip("%"))
    assert 0 < first <= lowest
    assert re.search(rf"axis starts at {first}%", page.get_by_test_id("passrate-caption").inner_text())


def test_count_axes_carry_whole_numbers_once_each(page: Any, site_url: str) -> None:
    open_page(page, site_url + "#view=profile")
    for testid in ("axis-profile",):
        labels = ticks(page, testid)
        assert labels == sorted(set(labels), key=int) and all(label.isdigit() for label in labels), labels
    open_page(page, site_url)
    for testid in ("axis-failures", "axis-passed"):
        labels = ticks(page, testid)
        assert len(labels) == len(set(labels)) and all(label.isdigit() for label in labels), labels


def test_a_run_that_measured_no_usage_says_so_instead_of_showing_zeros(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, f"{site_url}#view=profile&run={documents[-1]['run_id']}")
    page.wait_for_selector('[data-testid="profile-heaviest"][data-loaded]', state="attached")
    sentence = page.get_by_test_id("profile-sentence").inner_text()
    assert sentence.startswith("No usage was measured in this run")
    assert page.get_by_test_id("profile-heaviest-section").is_hidden()
    assert "not on the chart" in page.get_by_test_id("profile-missing").inner_text().lower()
    assert "1 run that measured no usage" in page.get_by_test_id("profile-missing").inner_text()


def test_one_spec_is_one_spec(page: Any, site_url: str, documents: list[dict[str, Any]]) -> None:
    open_page(page, f"{site_url}#view=profile&run={documents[-2]['run_id']}")
    page.wait_for_selector('[data-testid="profile-heaviest"][data-loaded]', state="attached")
    assert page.get_by_test_id("profile-sentence").inner_text() == (
        "You can safely run 1 spec in parallel on this cluster (limited by memory)."
    )
