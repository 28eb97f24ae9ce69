"""The dashboard's insight views in headless Chromium: profile, analysis, culprit ranges (issues 9-11).

The history is generated with the optional `profile` and `analysis` sections
(`testing/histories.py`); every expectation is read from those documents, never from the page.
Elements are found by role or data-testid (STYLE R37). Each test leaves a screenshot in
test-output/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_streamstress.testing.histories import generate_history, has_profile

RUNS = 32  # the newest run (index 31) has a profile: has_profile(31)
SCENARIOS = 40

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return generate_history(RUNS, SCENARIOS, profile=True, analysis=True)


def open_view(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]")


def keys_of(locator: Any) -> list[str]:
    return list(locator.evaluate_all("items => items.map(i => i.dataset.key)"))


def open_run(page: Any, site_url: str, run: dict[str, Any]) -> None:
    open_view(page, f"{site_url}#view=run&run={run['run_id']}")
    page.wait_for_selector('[data-testid="run-table"][data-loaded]')


def run_with(documents: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    """The newest generated run whose analysis has entries under `wanted`."""
    return next(d for d in reversed(documents) if d.get("analysis", {}).get(wanted))


def test_profile_view_lists_the_heaviest_scenarios_of_the_latest_run(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    latest = documents[-1]["profile"]
    open_view(page, site_url)
    page.get_by_role("tab", name="Profile").click()
    page.wait_for_selector('[data-testid="profile-heaviest"][data-loaded]', state="attached")
    rows = page.get_by_test_id("profile-row")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.nodeid)") == [
        h["nodeid"] for h in latest["heaviest"]
    ]
    first = latest["heaviest"][0]
    assert rows.first.get_by_test_id("profile-cpu").text_content() == str(round(first["peak_cpu_m"]))
    assert rows.first.get_by_test_id("profile-memory").get_attribute("data-bytes") == str(
        first["peak_memory_b"]
    )
    assert rows.first.get_by_test_id("profile-pods").text_content() == str(first["peak_pods"])
    assert (
        page.get_by_test_id("profile-sentence").text_content() == latest["recommendation"]["sentence"] + "."
    )


def test_recommendation_chart_has_one_point_per_profiled_run_with_its_limit(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    expected = [
        (
            d["run_id"],
            str(d["profile"]["recommendation"]["max_parallel_specs"]),
            d["profile"]["recommendation"]["limiting_resource"],
        )
        for d in documents
        if d["profile"]
    ]
    open_view(page, site_url + "#view=profile")
    points = page.get_by_test_id("recommendation-point").evaluate_all(
        "points => points.map(p => [p.dataset.runId, p.dataset.value, p.dataset.limit])"
    )
    assert [tuple(p) for p in points] == expected
    assert page.get_by_test_id("profile-missing").text_content() == (
        f"Not on the chart: {RUNS - len(expected)} runs made without --profile."
    )
    assert page.get_by_test_id("filters").is_hidden(), "one cluster: no filter applies to the profile"


def test_a_run_made_without_profile_says_how_to_get_one(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    bare = next(d for i, d in enumerate(documents) if not has_profile(i))
    open_view(page, f"{site_url}#view=profile&run={bare['run_id']}")
    page.wait_for_selector('[data-testid="profile-heaviest"][data-loaded]', state="attached")
    assert (
        page.get_by_test_id("profile-sentence").text_content()
        == "This run was made without --profile: nothing was measured."
    )
    assert page.get_by_test_id("profile-row").count() == 0
    assert page.get_by_test_id("profile-heaviest-section").is_hidden()


def test_run_view_lists_the_new_failures_first(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = run_with(documents, "new_failures")
    open_run(page, site_url, run)
    analysis = page.get_by_test_id("run-analysis")
    assert analysis.is_visible()
    assert (
        keys_of(page.get_by_test_id("analysis-new-failures").get_by_test_id("analysis-item"))
        == run["analysis"]["new_failures"]
    )
    first_list = analysis.locator("ul").first.get_attribute("data-testid")
    assert first_list == "analysis-new-failures"


def test_still_failing_tests_say_since_which_run_and_for_how_many(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = run_with(documents, "still_failing")
    entry = run["analysis"]["still_failing"][0]
    open_run(page, site_url, run)
    item = page.get_by_test_id("analysis-still-failing").locator(f'[data-key="{entry["test"]}"]')
    badge = item.get_by_test_id("still-failing-since")
    assert badge.get_attribute("data-run") == entry["since"]
    assert badge.text_content().endswith(f"{entry['runs']} run" + ("" if entry["runs"] == 1 else "s"))


def test_failures_with_one_cause_show_as_one_cluster_line_with_its_member_count(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = next(
        d
        for d in reversed(documents)
        if any(c["size"] > 2 for c in d.get("analysis", {}).get("clusters", []))
        and any(c["size"] == 1 for c in d["analysis"]["clusters"])
    )
    clusters = [c for c in run["analysis"]["clusters"] if c["size"] >= 2]  # a cluster of one is no cluster
    open_run(page, site_url, run)
    lines = page.get_by_test_id("analysis-cluster")
    assert lines.evaluate_all("lines => lines.map(l => Number(l.dataset.size))") == [
        c["size"] for c in clusters
    ]
    line = lines.first
    assert line.get_attribute("data-size") == str(clusters[0]["size"])
    members = line.get_by_test_id("cluster-member")
    assert members.first.is_hidden()
    line.locator("summary").click()
    assert keys_of(members) == clusters[0]["members"]
    assert members.first.is_visible()


def test_known_failures_link_their_issue_and_mark_stale_entries(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = next(
        d for d in reversed(documents) if any(k["stale"] for k in d.get("analysis", {}).get("known", []))
    )
    known = run["analysis"]["known"]
    open_run(page, site_url, run)
    analysis = page.get_by_test_id("run-analysis")
    for entry in known:  # on the test's one line, wherever it is listed (no test is listed twice)
        line = analysis.locator(f'li[data-key="{entry["test"]}"]:not([data-testid=cluster-member])')
        assert line.count() == 1, entry["test"]
        assert line.get_by_test_id("known-link").get_attribute("href") == entry["issue"]
    assert analysis.get_by_test_id("known-stale").count() == sum(k["stale"] for k in known)


def test_the_analysis_lists_no_test_twice_and_shows_no_empty_section(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = run_with(documents, "regressions")
    open_run(page, site_url, run)
    analysis = page.get_by_test_id("run-analysis")
    keys = analysis.locator("li[data-key]:not([data-testid=cluster-member])").evaluate_all(
        "items => items.map(i => i.dataset.key)"
    )
    assert len(keys) == len(set(keys)), keys
    counts = analysis.locator("ul[data-count]").evaluate_all(
        "lists => lists.map(l => Number(l.dataset.count))"
    )
    assert counts and 0 not in counts
    assert "none" not in analysis.inner_text().split()


def test_a_run_without_analysis_shows_no_analysis_section(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    assert "analysis" not in documents[0]
    open_run(page, site_url, documents[0])
    assert page.get_by_test_id("run-analysis").is_hidden()


def test_comparison_shows_each_failing_tests_commit_ranges_with_compare_links(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    index, run = next(
        (i, d)
        for i, d in reversed(list(enumerate(documents)))
        if any(
            r["state"] == "changed"
            for c in d.get("analysis", {}).get("culprits", [])
            for r in c["components"]
        )
    )
    culprit = next(c for c in run["analysis"]["culprits"] if c["components"])
    changed = next(r for r in culprit["components"] if r["state"] == "changed")
    open_view(page, f"{site_url}#view=compare&a={documents[index - 1]['run_id']}&b={run['run_id']}")
    page.wait_for_selector('[data-testid="compare-culprits"][data-loaded]')
    assert keys_of(page.get_by_test_id("culprit")) == [c["test"] for c in run["analysis"]["culprits"]]
    item = page.locator(f'[data-testid="culprit"][data-key="{culprit["test"]}"]')
    component = item.locator(f'[data-testid="culprit-range"][data-component="{changed["component"]}"]')
    assert component.get_by_test_id("culprit-compare").get_attribute("href") == changed["compare_url"]
    shown = component.get_by_test_id("culprit-commit").evaluate_all("items => items.map(i => i.dataset.sha)")
    assert shown == [c["sha"] for c in reversed(changed["commits"])]
    assert component.get_by_test_id("culprit-commit").locator("b").count() == 0  # subjects are text


def test_components_whose_commit_did_not_change_are_ruled_out_by_name(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = next(
        d
        for d in reversed(documents)
        if any(c["ruled_out"] and c["components"] for c in d.get("analysis", {}).get("culprits", []))
    )
    culprit = next(c for c in run["analysis"]["culprits"] if c["ruled_out"] and c["components"])
    open_view(page, f"{site_url}#view=compare&b={run['run_id']}")
    page.wait_for_selector('[data-testid="compare-culprits"][data-loaded]')
    item = page.locator(f'[data-testid="culprit"][data-key="{culprit["test"]}"]')
    assert item.get_by_test_id("culprit-ruled-out").text_content() == (
        "Ruled out (unchanged): " + ", ".join(culprit["ruled_out"])
    )
    shown = item.get_by_test_id("culprit-range").evaluate_all(
        "ranges => ranges.map(r => r.dataset.component)"
    )
    assert shown == [r["component"] for r in culprit["components"]]


def test_a_force_pushed_component_shows_its_note_instead_of_commits(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    run = next(
        d
        for d in reversed(documents)
        if any(r["note"] for c in d.get("analysis", {}).get("culprits", []) for r in c["components"])
    )
    gone = next(r for c in run["analysis"]["culprits"] for r in c["components"] if r["note"])
    open_view(page, f"{site_url}#view=compare&b={run['run_id']}")
    page.wait_for_selector('[data-testid="compare-culprits"][data-loaded]')
    component = page.locator(f'[data-testid="culprit-range"][data-component="{gone["component"]}"]').first
    assert component.get_by_test_id("culprit-note").text_content() == gone["note"]
    assert component.get_by_test_id("culprit-commit").count() == 0
