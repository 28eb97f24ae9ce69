"""The dashboard in real headless Chromium on a generated history of 60 runs (STYLE R37).

Elements are found by role or data-testid; expectations are computed from the generated
results.json documents, never written down from the page. Each test leaves a screenshot in
test-output/screenshots/ for people to look at.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import parse_qs

import pytest

from pytest_streamstress.history.store import case_key
from pytest_streamstress.testing.histories import XSS_MESSAGE, generate_history

RUNS = 60
SCENARIOS = 40

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return generate_history(RUNS, SCENARIOS)


def open_view(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]")


def visible_keys(page: Any, testid: str) -> list[str]:
    """The data-key of every element with this test id that a person can see."""
    return page.locator(f'[data-testid="{testid}"]:visible').evaluate_all(
        "rows => rows.map(r => r.dataset.key)"
    )


def wait_for_run_table(page: Any) -> None:
    page.wait_for_selector('[data-testid="run-table"][data-loaded]')


def status_code(scenario: dict[str, Any]) -> str:
    if scenario["status"] == "passed" and scenario["flaky"]:
        return "flaky"
    return str(scenario["status"])


def test_trend_charts_draw_one_point_per_run_for_each_series(page: Any, site_url: str) -> None:
    open_view(page, site_url)
    for series in ("passed", "passrate"):
        assert page.get_by_test_id(f"series-{series}").locator("circle").count() == RUNS, series


def test_category_chart_stacks_one_bar_per_run_and_category_with_failures(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_view(page, site_url)
    expected = sum(len(document["categories"]) for document in documents)
    assert page.get_by_test_id("category-bar").count() == expected


def test_grid_has_a_row_per_test_and_a_cell_per_run(
    page: Any, site_url: str, documents: list[dict[str, Any]]
):
    open_view(page, site_url + "#view=grid")
    assert page.get_by_test_id("grid-row").count() == SCENARIOS
    assert page.get_by_test_id("grid-cell").count() == SCENARIOS * RUNS
    scenario = documents[17]["scenarios"][12]
    cell = page.locator(
        f'[data-testid="grid-row"][data-key="{case_key(scenario)}"]'
        f' [data-testid="grid-cell"][data-run="{documents[17]["run_id"]}"]'
    )
    assert cell.get_attribute("data-status") == status_code(scenario)


def test_grid_shows_since_when_a_test_fails(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_view(page, site_url + "#view=grid")
    broken = documents[-1]["scenarios"][1]  # the generator breaks every 10th+1 scenario in the last five runs
    row = page.locator(f'[data-testid="grid-row"][data-key="{case_key(broken)}"]')
    assert row.get_by_test_id("failing-since").get_attribute("data-run") == documents[-5]["run_id"]


def test_grid_marks_a_scenario_that_passed_on_retry_as_flaky(
    page: Any, site_url: str, documents: list[dict[str, Any]]
):
    open_view(page, site_url + "#view=grid")
    flaky = next(s for d in documents for s in d["scenarios"] if s["flaky"])
    row = page.locator(f'[data-testid="grid-row"][data-key="{case_key(flaky)}"]')
    assert row.get_by_test_id("flaky-badge").is_visible()


def test_filtering_by_category_shows_exactly_the_matching_rows(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_view(page, site_url + "#view=run")
    wait_for_run_table(page)
    page.get_by_test_id("filter-category").select_option("upstream-regression")
    expected = sorted(
        case_key(s) for s in documents[-1]["scenarios"] if s.get("category") == "upstream-regression"
    )
    rows = page.get_by_test_id("run-row")
    assert expected, "the generated latest run has upstream regressions"
    assert sorted(rows.nth(i).get_attribute("data-key") for i in range(rows.count())) == expected
    page.get_by_role("tab", name="Test grid").click()
    assert sorted(visible_keys(page, "grid-row")) == expected


def test_a_copied_url_reopens_the_same_filtered_view(browser: Any, page: Any, site_url: str) -> None:
    open_view(page, site_url)
    page.get_by_role("tab", name="Test grid").click()
    page.get_by_test_id("filter-status").select_option("failed")
    page.get_by_test_id("filter-component").select_option("triggers")
    page.get_by_test_id("filter-search").fill("behaviour")
    copied = page.evaluate("location.href")
    keys = visible_keys(page, "grid-row")
    assert parse_qs(copied.split("#", 1)[1]) == {
        "view": ["grid"],
        "status": ["failed"],
        "comp": ["triggers"],
        "q": ["behaviour"],
    }
    other = browser.new_page()
    try:
        open_view(other, copied)
        assert other.get_by_role("tab", name="Test grid").get_attribute("aria-selected") == "true"
        assert other.get_by_test_id("filter-status").input_value() == "failed"
        assert other.get_by_test_id("filter-component").input_value() == "triggers"
        assert other.get_by_test_id("filter-search").input_value() == "behaviour"
        assert visible_keys(other, "grid-row") == keys
    finally:
        other.close()
    assert keys


def test_comparing_two_runs_lists_new_failures_and_commit_ranges(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    old, new = documents[40], documents[56]
    open_view(page, site_url + "#view=compare")
    page.get_by_test_id("compare-base").select_option(old["run_id"])
    page.get_by_test_id("compare-head").select_option(new["run_id"])
    before = {case_key(s): s["status"] for s in old["scenarios"]}
    expected = sorted(
        case_key(s)
        for s in new["scenarios"]
        if s["status"] in ("failed", "error") and before[case_key(s)] not in ("failed", "error")
    )
    listed = page.get_by_test_id("new-failures").get_by_test_id("compare-item")
    assert sorted(listed.evaluate_all("items => items.map(i => i.dataset.key)")) == expected
    old_sha = old["components"][0]["commit"]["sha"]
    new_sha = new["components"][0]["commit"]["sha"]
    compare = page.locator('[data-testid="compare-component"][data-component="pipeline"]').get_by_test_id(
        "compare-range"
    )
    assert (
        compare.get_attribute("href") == f"https://github.com/tektoncd/pipeline/compare/{old_sha}...{new_sha}"
    )


def test_a_failure_message_holding_markup_is_shown_as_text(
    page: Any, site_url: str, documents: list[dict[str, Any]]
):
    run = next(d for d in reversed(documents) if d["scenarios"][0]["status"] == "failed")
    key = case_key(run["scenarios"][0])
    open_view(page, f"{site_url}#view=run&run={run['run_id']}&q=Scenario%20000")
    wait_for_run_table(page)
    page.locator(f'[data-testid="run-row"][data-key="{key}"]').click()
    message = page.get_by_test_id("detail-message")
    assert message.text_content() == XSS_MESSAGE
    assert message.is_visible()
    assert message.locator("img, script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_an_expanded_row_shows_step_category_evidence_and_upstream_commits(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = documents[-1]
    scenario = next(s for s in run["scenarios"] if s.get("known_issue"))
    open_view(page, f"{site_url}#view=run&run={run['run_id']}")
    wait_for_run_table(page)
    page.locator(f'[data-testid="run-row"][data-key="{case_key(scenario)}"]').click()
    assert page.get_by_test_id("detail-step").text_content().startswith(scenario["failing_step"]["text"])
    assert page.get_by_test_id("detail-rule").text_content() == scenario["category_rule"]
    assert page.get_by_test_id("detail-evidence").text_content() == scenario["category_evidence"]
    assert page.get_by_test_id("detail-trace").text_content() == scenario["trace"]
    links = page.get_by_test_id("commit-link")
    assert links.evaluate_all("links => links.map(a => a.href)") == [
        f"{c['repo']}/commit/{c['commit']['sha']}" for c in run["components"]
    ]
    row = page.locator(f'[data-testid="run-row"][data-key="{case_key(scenario)}"]')
    assert row.get_by_test_id("known-issue").get_attribute("href") == scenario["known_issue"]


def test_an_emulated_run_carries_the_banner_and_a_real_one_does_not(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    emulated = next(d for d in documents if d["emulated"])
    real = next(d for d in documents if not d["emulated"])
    open_view(page, f"{site_url}#view=run&run={real['run_id']}")
    assert page.get_by_test_id("emulated-banner").is_hidden()
    open_view(page, f"{site_url}#view=run&run={emulated['run_id']}")
    assert page.get_by_test_id("emulated-banner").is_visible()


def test_a_date_range_limits_the_charts_to_the_runs_inside_it(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    first, last = documents[20]["started_at"][:10], documents[29]["started_at"][:10]
    open_view(page, f"{site_url}#from={first}&to={last}")
    assert page.get_by_test_id("filter-from").input_value() == first
    assert page.get_by_test_id("series-passed").locator("circle").count() == 10


def test_clicking_a_grid_cell_opens_that_run_with_the_test_expanded(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = documents[33]
    scenario = next(s for s in run["scenarios"] if s["status"] == "failed")
    open_view(page, site_url + "#view=grid")
    row = page.locator(f'[data-testid="grid-row"][data-key="{case_key(scenario)}"]')
    row.locator(f'[data-testid="grid-cell"][data-run="{run["run_id"]}"]').click()
    wait_for_run_table(page)
    assert page.get_by_test_id("run-select").input_value() == run["run_id"]
    assert page.get_by_test_id("detail-message").text_content() == scenario["message"]


def test_the_time_axis_of_a_nightly_history_is_labelled_with_dates(page: Any, site_url: str) -> None:
    open_view(page, site_url)
    labels = page.locator("svg .axis .tick text").all_text_contents()
    assert labels
    dates = [label for label in labels if re.fullmatch(r"[A-Z][a-z]{2} \d{2}", label)]
    # The x axis shows dates; the y axes show counts and percentages (digits only, or a trailing %).
    assert dates and all(re.fullmatch(r"[A-Z][a-z]{2} \d{2}|\d+%?", label) for label in labels), labels


def test_a_skipped_scenario_shows_why_it_did_not_run_without_a_click(
    page: Any, make_site: Any, documents: list[dict[str, Any]]
) -> None:
    """A scenario left out of the run (run/lifecycle.py) or skipped as a known bug has nothing else to
    show: its reason is on its row, so the morning reader need not open every skipped one."""
    newest = copy.deepcopy(documents[-1])
    scenario = next(s for s in newest["scenarios"] if s["status"] == "passed")
    reason = "left out: this upgrade scenario replaces the operator, so the scenarios run with it would test"
    scenario.update(status="skipped", message=reason + "\nsecond line", flaky=False)
    site = make_site([*documents[:-1], newest])
    open_view(page, (site / "index.html").as_uri() + f"#view=run&run={newest['run_id']}&status=skipped")
    wait_for_run_table(page)
    row = page.locator(f'[data-testid="run-row"][data-key="{case_key(scenario)}"]')
    assert row.get_by_test_id("skip-reason").text_content() == reason
    assert row.get_by_test_id("skip-reason").is_visible()
    page.get_by_test_id("filter-status").select_option("failed")
    assert page.get_by_test_id("run-row").count() > 0
    assert page.get_by_test_id("skip-reason").count() == 0, "only skipped rows carry a reason line"
