"""Several clusters on one page (issue 23) in headless Chromium: the filter, the grid's row groups, the
morning per cluster; and a single-cluster history that looks as it did before clusters existed.

The history is testing/morning.py's `fleet_history`: the same nights on ocp-4-16 (the morning worth
reading) and ocp-4-14 (its own flakes). Expectations are computed from the generated documents.
Each test leaves a screenshot in test-output/screenshots/.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from pytest_streamstress.history.store import case_key
from pytest_streamstress.testing.histories import add_profile, generate_history, has_profile, name_cluster
from pytest_streamstress.testing.morning import FLEET, MORNING_BREAKS, fleet_history

RUNS = 12
SCENARIOS = 30
FAILING = ("failed", "error")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return fleet_history(RUNS, SCENARIOS)


def of_cluster(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["cluster"]["name"] == name]


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]")


def attribute_of_all(page: Any, selector: str, name: str) -> list[str]:
    return page.locator(selector).evaluate_all(f"nodes => nodes.map(n => n.getAttribute({name!r}))")


def test_the_cluster_filter_offers_each_cluster_and_starts_on_all(page: Any, site_url: str) -> None:
    open_page(page, site_url + "#view=grid")
    select = page.get_by_test_id("filter-cluster")

    assert select.input_value() == ""
    assert select.locator("option").all_text_contents() == ["all clusters", "ocp-4-14", "ocp-4-16"]


def test_choosing_a_cluster_hides_the_other_clusters_runs_everywhere(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    own = [d["run_id"] for d in of_cluster(documents, "ocp-4-14")]
    open_page(page, site_url + "#view=grid")

    page.get_by_test_id("filter-cluster").select_option("ocp-4-14")

    assert parse_qs(page.evaluate("location.hash").lstrip("#"))["cluster"] == ["ocp-4-14"]
    assert attribute_of_all(page, '[data-testid="grid-column"]', "data-run") == own[::-1]
    assert attribute_of_all(page, '[data-testid="grid-group"]', "data-cluster") == ["ocp-4-14"]
    page.get_by_role("tab", name="Run").click()
    assert attribute_of_all(page, '[data-testid="run-select"] option', "value") == own[::-1]
    page.get_by_role("tab", name="Morning").click()
    assert attribute_of_all(page, '[data-testid="morning-cluster"]:visible', "data-cluster") == ["ocp-4-14"]
    assert page.get_by_test_id("series-passed").locator("circle").count() == RUNS


def test_the_grid_has_a_row_group_per_cluster_naming_it_and_its_versions(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url + "#view=grid")
    groups = page.get_by_test_id("grid-group")

    assert attribute_of_all(page, '[data-testid="grid-group"]', "data-cluster") == ["ocp-4-14", "ocp-4-16"]
    for position, name in enumerate(("ocp-4-14", "ocp-4-16")):
        _, openshift, operator = next(c for c in FLEET if c[0] == name)
        head = groups.nth(position)
        assert head.get_by_test_id("grid-group-name").locator(".cluster-name").inner_text() == name
        assert (
            head.get_by_test_id("grid-group-versions").inner_text()
            == f"OCP {openshift} · operator {operator}"
        )
        assert head.get_by_test_id("grid-group-count").inner_text() == f"{SCENARIOS} tests \u00d7 {RUNS} runs"
        own = [d["run_id"] for d in of_cluster(documents, name)]
        columns = head.get_by_test_id("grid-column")
        assert columns.evaluate_all("cs => cs.map(c => c.dataset.run)") == own[::-1]
        rows = page.locator(f'[data-testid="grid-row"][data-cluster="{name}"]')
        assert rows.count() == SCENARIOS
        assert set(
            rows.first.get_by_test_id("grid-cell").evaluate_all("cs => cs.map(c => c.dataset.run)")
        ) == set(own)


def test_new_failures_in_the_grid_are_read_against_each_clusters_own_previous_run(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url + "#view=grid&chg=new")
    for name in ("ocp-4-14", "ocp-4-16"):
        own = of_cluster(documents, name)
        before = {case_key(s): s["status"] for s in own[-2]["scenarios"]}
        expected = sorted(
            case_key(s)
            for s in own[-1]["scenarios"]
            if s["status"] in FAILING and before[case_key(s)] not in FAILING
        )
        shown = page.locator(f'[data-testid="grid-row"][data-cluster="{name}"]:visible').evaluate_all(
            "rows => rows.map(r => r.dataset.key)"
        )
        assert sorted(shown) == expected, name
    morning = of_cluster(documents, FLEET[0][0])[-1]
    assert {case_key(morning["scenarios"][n]) for n, *_ in MORNING_BREAKS} <= set(
        page.locator('[data-testid="grid-row"][data-cluster="ocp-4-16"]:visible').evaluate_all(
            "rows => rows.map(r => r.dataset.key)"
        )
    )


def test_the_morning_page_says_which_cluster_each_newest_run_is_from(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    sections = page.get_by_test_id("morning-cluster")

    # Both newest runs failed; ocp-4-16's brought new upstream regressions, so it comes first.
    assert attribute_of_all(page, '[data-testid="morning-cluster"]', "data-cluster") == [
        "ocp-4-16",
        "ocp-4-14",
    ]
    heading = sections.nth(0).get_by_test_id("morning-cluster-heading").inner_text()
    assert heading.startswith("ocp-4-16 OCP 4.16.12 · operator 1.16.1")
    morning = of_cluster(documents, "ocp-4-16")[-1]
    regressions = sections.nth(0).get_by_test_id("regression")
    assert sorted(regressions.evaluate_all("rs => rs.map(r => r.dataset.key)")) == sorted(
        case_key(morning["scenarios"][n])
        for n, category, _ in MORNING_BREAKS
        if category == "upstream-regression"
    )
    assert sections.nth(1).get_by_test_id("regression").count() == 0
    assert page.get_by_test_id("chart-cluster").count() == 2
    assert page.get_by_test_id("series-passrate").count() == 2


def test_a_clusters_morning_count_opens_the_grid_of_that_cluster(page: Any, site_url: str) -> None:
    open_page(page, site_url)
    section = page.locator('[data-testid="morning-cluster"][data-cluster="ocp-4-16"]')
    count = int(section.get_by_test_id("regressions-count").inner_text())

    section.get_by_test_id("regressions-count").click()
    page.wait_for_selector('html[data-ready="grid"]')

    assert page.get_by_test_id("filter-cluster").input_value() == "ocp-4-16"
    assert page.locator('[data-testid="grid-row"]:visible').count() == count


def test_a_single_cluster_history_shows_no_cluster_filter_or_groups(page: Any, make_site: Any) -> None:
    site = make_site(name_cluster(generate_history(6, 12), "ocp-only", openshift_version="4.16.12"))
    open_page(page, (site / "index.html").as_uri() + "#view=grid")

    assert page.get_by_test_id("filter-cluster").count() == 0
    assert page.get_by_test_id("grid-group").count() == 0
    assert page.get_by_test_id("grid-row").count() == 12
    page.get_by_role("tab", name="Morning").click()
    assert page.get_by_test_id("morning-cluster").count() == 0
    assert page.get_by_test_id("chart-cluster").count() == 0


def test_a_cluster_the_history_does_not_hold_shows_every_cluster(page: Any, site_url: str) -> None:
    open_page(page, site_url + "#view=grid&cluster=ocp-gone")

    assert attribute_of_all(page, '[data-testid="grid-group"]', "data-cluster") == ["ocp-4-14", "ocp-4-16"]


def test_a_group_header_names_the_versions_its_earlier_runs_used(page: Any, make_site: Any) -> None:
    documents = fleet_history(4, SCENARIOS)
    for document in of_cluster(documents, "ocp-4-14")[:2]:
        document["cluster"]["openshift_version"] = "4.14.20"  # upgraded two nights ago
    open_page(page, (make_site(documents) / "index.html").as_uri() + "#view=grid")
    head = page.locator('[data-testid="grid-group"][data-cluster="ocp-4-14"]')

    assert head.get_by_test_id("grid-group-versions").inner_text() == "OCP 4.14.38 · operator 1.14.5"
    assert (
        head.get_by_test_id("grid-group-earlier").inner_text()
        == "earlier runs: OCP 4.14.20 · operator 1.14.5"
    )


def test_the_header_counts_the_clusters_beside_the_runs(page: Any, site_url: str) -> None:
    open_page(page, site_url)
    meta = page.get_by_test_id("site-meta").inner_text()

    assert meta.startswith(f"{2 * RUNS} runs · 2 clusters · {SCENARIOS} tests · latest ")


def test_a_single_cluster_header_counts_no_clusters(page: Any, make_site: Any) -> None:
    site = make_site(name_cluster(generate_history(6, 12), "ocp-only", openshift_version="4.16.12"))
    open_page(page, (site / "index.html").as_uri())

    assert page.get_by_test_id("site-meta").inner_text().startswith("6 runs · 12 tests · latest ")


def test_the_morning_sections_come_worst_verdict_first_then_by_name(page: Any, make_site: Any) -> None:
    statuses = {"ocp-a": "passed", "ocp-b": "failed", "ocp-c": "interrupted", "ocp-d": "failed"}
    documents = fleet_history(4, SCENARIOS, clusters=[(name, "4.16.12", "1.16.1") for name in statuses])
    for name, status in statuses.items():
        of_cluster(documents, name)[-1]["verdict"]["status"] = status
    open_page(page, (make_site(documents) / "index.html").as_uri())

    assert attribute_of_all(page, '[data-testid="morning-cluster"]', "data-cluster") == [
        "ocp-c",
        "ocp-b",
        "ocp-d",
        "ocp-a",
    ]
    assert page.get_by_test_id("filter-cluster").locator("option").all_text_contents() == [
        "all clusters",
        "ocp-a",
        "ocp-b",
        "ocp-c",
        "ocp-d",
    ]


def profiled_site(make_site: Any) -> str:
    """Two clusters made with --profile: ocp-4-14 small (2-6 specs), ocp-4-16 ten times bigger."""
    documents = fleet_history(8, SCENARIOS)
    for name in ("ocp-4-14", "ocp-4-16"):
        for index, document in enumerate(of_cluster(documents, name)):
            add_profile(document, index)
            if document["profile"] and name == "ocp-4-16":
                document["profile"]["recommendation"]["max_parallel_specs"] *= 10
    return str((make_site(documents) / "index.html").as_uri())


def profiled_runs(name: str) -> list[str]:
    """The cluster's run ids, oldest first (fleet_history is the same every time)."""
    return [d["run_id"] for d in of_cluster(fleet_history(8, SCENARIOS), name)]


def test_the_profile_chart_draws_each_cluster_in_its_own_panel(page: Any, make_site: Any) -> None:
    open_page(page, profiled_site(make_site) + "#view=profile")
    panels = page.get_by_test_id("profile-cluster")

    assert attribute_of_all(page, '[data-testid="profile-cluster"]', "data-cluster") == [
        "ocp-4-14",
        "ocp-4-16",
    ]
    for position, name in enumerate(("ocp-4-14", "ocp-4-16")):
        points = panels.nth(position).get_by_test_id("recommendation-point")
        assert points.evaluate_all("ps => ps.map(p => p.dataset.runId)") == [
            run_id for index, run_id in enumerate(profiled_runs(name)) if has_profile(index)
        ]
    assert panels.nth(0).locator(".cluster-name").inner_text() == "ocp-4-14"


def test_the_profile_chart_follows_the_cluster_filter(page: Any, make_site: Any) -> None:
    open_page(page, profiled_site(make_site) + "#view=profile&cluster=ocp-4-16")

    assert attribute_of_all(page, '[data-testid="profile-cluster"]', "data-cluster") == ["ocp-4-16"]
    assert page.get_by_test_id("recommendation-point").evaluate_all("ps => ps.map(p => p.dataset.runId)") == [
        run_id for index, run_id in enumerate(profiled_runs("ocp-4-16")) if has_profile(index)
    ]


def test_the_cluster_filter_can_be_changed_on_the_profile_tab_and_nothing_else_shows(
    page: Any, make_site: Any
) -> None:
    """The Profile tab hid the whole filter form: the cluster could only be chosen on another tab."""
    open_page(page, profiled_site(make_site) + "#view=profile")
    form = page.get_by_test_id("filters")
    assert form.is_visible()
    shown = form.locator("label:visible").all_inner_texts()
    assert [text.split("\n")[0].strip().lower() for text in shown] == ["cluster"]
    assert page.get_by_test_id("filter-reset").is_hidden()
    page.get_by_test_id("filter-cluster").select_option("ocp-4-14")
    page.wait_for_function("() => location.hash.includes('cluster=ocp-4-14')")
    assert attribute_of_all(page, '[data-testid="profile-cluster"]', "data-cluster") == ["ocp-4-14"]
    page.get_by_role("tab", name="Test grid").click()
    assert page.get_by_test_id("filter-search").is_visible(), "the other tabs keep the whole form"


def test_runs_that_name_no_cluster_read_unnamed_cluster_wherever_a_cluster_is_named(
    page: Any, make_site: Any
) -> None:
    documents = fleet_history(4, SCENARIOS)
    unnamed = of_cluster(documents, "ocp-4-14")[-1]["run_id"]
    for document in of_cluster(documents, "ocp-4-14")[-2:]:
        del document["cluster"]["name"]  # single-cluster sessions mixed into the fleet's history
    site = (make_site(documents) / "index.html").as_uri()
    open_page(page, site + "#view=grid")

    assert (
        page.get_by_test_id("filter-cluster").locator("option").all_text_contents()[-1] == "unnamed cluster"
    )
    assert page.locator('[data-testid="grid-group"][data-cluster="-"] .cluster-name').inner_text() == (
        "unnamed cluster"
    )
    page.get_by_role("tab", name="Morning").click()
    assert (
        page.get_by_role("region", name="unnamed cluster", exact=True)
        .get_by_test_id("morning-cluster-heading")
        .inner_text()
        .startswith("unnamed cluster OCP 4.14.38")
    )
    legend = page.get_by_test_id("chart-passrate").get_by_test_id("chart-legend")
    assert legend.locator(".key").all_text_contents() == ["ocp-4-14", "ocp-4-16", "unnamed cluster"]
    page.goto(f"{site}#view=run&run={unnamed}")
    page.wait_for_selector('html[data-ready="run"]')
    meta = page.get_by_test_id("run-meta").inner_text()
    assert f"{unnamed} · unnamed cluster OCP 4.14.38 · operator 1.14.5 · " in meta


LABEL_GAPS = """groups => groups.map(g => {
  const label = g.querySelector('[data-testid="grid-column"] span').getBoundingClientRect();
  const row = g.parentNode.querySelector('[data-testid="grid-row"] td').getBoundingClientRect();
  return Math.round(row.top - label.bottom);
})"""


def test_every_row_groups_date_labels_sit_just_above_its_own_first_row(page: Any, site_url: str) -> None:
    open_page(page, site_url + "#view=grid")

    gaps = page.get_by_test_id("grid-group").evaluate_all(LABEL_GAPS)

    assert gaps[1] == gaps[0]
