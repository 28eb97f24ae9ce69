"""The morning page in headless Chromium (issue 20): what a person sees, and where each number leads.

The history is testing/morning.py's: its newest run brings two new upstream regressions (one that
--confirm confirmed, one that passed on rerun), a new config gap and a fix. Expectations are computed
from the generated documents; colours from the page's own palette data (one palette everywhere).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import case_key
from pytest_streamstress.testing.histories import generate_history
from pytest_streamstress.testing.morning import morning_history, with_a_morning_rerun, with_a_narrowed_rerun

RUNS = 30
SCENARIOS = 40
FAILING = ("failed", "error")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return morning_history(RUNS, SCENARIOS)


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]")


def visible_keys(page: Any, testid: str) -> list[str]:
    return page.locator(f'[data-testid="{testid}"]:visible').evaluate_all(
        "items => items.map(i => i.dataset.key)"
    )


def changes(documents: list[dict[str, Any]]) -> dict[str, list[str]]:
    """new (key list), fixed, still failing between the two newest runs, read from the documents."""
    before = {case_key(s): s["status"] for s in documents[-2]["scenarios"]}
    out: dict[str, list[str]] = {"new": [], "upstream": [], "fixed": [], "still": []}
    for s in documents[-1]["scenarios"]:
        key, was = case_key(s), before[case_key(s)] in FAILING
        if s["status"] in FAILING and not was:
            out["upstream" if s["category"] == "upstream-regression" else "new"].append(key)
        elif s["status"] in FAILING:
            out["still"].append(key)
        elif s["status"] == "passed" and was:
            out["fixed"].append(key)
    return out


def assert_opens_the_grid_listing(page: Any, count: str, expected: list[str]) -> None:
    """The morning number `count` says how many, and opens the grid on exactly those tests."""
    number = page.get_by_test_id(count)
    assert number.inner_text() == str(len(expected))
    number.click()
    page.wait_for_selector('html[data-ready="grid"]')
    assert sorted(visible_keys(page, "grid-row")) == sorted(expected)


def rgb(color: str) -> str:
    """`#c62828` as the browser reports a computed colour."""
    return "rgb({}, {}, {})".format(*(int(color[i : i + 2], 16) for i in (1, 3, 5)))


def palette(page: Any) -> dict[str, str]:
    return page.evaluate("Object.fromEntries(Streamstress.PALETTE.categories.map(c => [c.id, c.color]))")


def test_the_morning_page_opens_on_the_last_runs_verdict(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    assert page.get_by_role("tab", name="Morning").get_attribute("aria-selected") == "true"
    verdict = documents[-1]["verdict"]
    failures = sum(1 for s in documents[-1]["scenarios"] if s["status"] in FAILING)
    assert page.get_by_test_id("morning-gate").inner_text() == (
        f"FAILED · {verdict['gating']} of {failures} failures gate the job"
    )
    assert page.get_by_test_id("verdict-sentence").inner_text() == verdict["sentence"].removeprefix(
        "FAILED: "
    )
    first = page.locator('[data-testid="view-morning"] [data-testid]:visible').first
    assert first.get_attribute("data-testid") == "morning", "nothing stands above the morning page"


def test_each_new_upstream_regression_says_if_it_is_real_and_where_it_broke(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    assert visible_keys(page, "regression") == changes(documents)["upstream"]
    scenario = documents[-1]["scenarios"][7]
    card = page.locator(f'[data-testid="regression"][data-key="{case_key(scenario)}"]')
    assert card.get_by_test_id("confirmation").inner_text().startswith("confirmed")
    assert (
        card.get_by_test_id("item-step").inner_text().startswith("Step " + scenario["failing_step"]["text"])
    )
    assert card.get_by_test_id("item-message").inner_text() == scenario["message"]
    assert card.get_by_test_id("regression-rule").inner_text() == "controller-panic"
    culprit = documents[-1]["analysis"]["culprits"][0]["components"][0]
    assert card.get_by_test_id("culprit-link").get_attribute("href") == culprit["compare_url"]
    assert card.get_by_test_id("first-failing").inner_text().startswith(documents[-1]["started_at"][:10])
    other = page.locator(f'[data-testid="regression"][data-key="{case_key(documents[-1]["scenarios"][17])}"]')
    assert other.get_by_test_id("confirmation").inner_text().startswith("passed on rerun")


def test_a_regression_links_to_the_run_view_with_its_failure_open(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    scenario = documents[-1]["scenarios"][7]
    page.locator(f'[data-testid="regression"][data-key="{case_key(scenario)}"]').get_by_test_id(
        "regression-link"
    ).click()
    page.wait_for_selector('[data-testid="run-table"][data-loaded]')
    assert page.get_by_test_id("run-select").input_value() == documents[-1]["run_id"]
    assert page.get_by_test_id("detail-message").inner_text() == scenario["message"]
    assert page.get_by_test_id("detail-confirmation").inner_text().startswith("confirmed")


@pytest.mark.parametrize(
    ("count", "kind"),
    [
        ("regressions-count", "upstream"),
        ("new-count", "new"),
        ("fixed-count", "fixed"),
        ("still-count", "still"),
    ],
    ids=["regressions", "other-new", "fixed", "still-failing"],
)
def test_each_number_opens_the_grid_listing_exactly_those_tests(
    page: Any, site_url: str, documents: list[dict[str, Any]], count: str, kind: str
) -> None:
    open_page(page, site_url)
    assert_opens_the_grid_listing(page, count, changes(documents)[kind])


def test_fixed_and_still_failing_are_compact_lists_with_since_when(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    assert sorted(visible_keys(page, "fixed-item")) == sorted(changes(documents)["fixed"])
    broken = case_key(documents[-1]["scenarios"][21])  # broken upstream five runs ago
    line = page.locator(f'[data-testid="still-item"][data-key="{broken}"]')
    assert line.get_by_test_id("still-since").inner_text() == (
        f"since {documents[-5]['started_at'][:10]} {documents[-5]['started_at'][11:16]} · 5 runs"
    )


def test_other_new_failures_stand_under_their_category_in_its_colour(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url)
    group = page.locator(
        '[data-testid="morning-new"] [data-testid="morning-group"][data-category="config-gap"]'
    )
    assert case_key(documents[-1]["scenarios"][27]) in group.get_by_test_id("morning-item").evaluate_all(
        "items => items.map(i => i.dataset.key)"
    )
    swatch = group.locator("h3 i.swatch").evaluate("i => getComputedStyle(i).backgroundColor")
    assert swatch == rgb(palette(page)["config-gap"])


def test_a_failed_grid_cell_has_its_categorys_colour_and_the_legend_names_it(
    page: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    open_page(page, site_url + "#view=grid")
    colors = palette(page)
    last = documents[-1]
    for number in (7, 27):  # an upstream regression and a config gap of the newest run
        scenario = last["scenarios"][number]
        cell = page.locator(
            f'[data-testid="grid-row"][data-key="{case_key(scenario)}"]'
            f' [data-testid="grid-cell"][data-run="{last["run_id"]}"]'
        )
        assert cell.evaluate("c => getComputedStyle(c).backgroundColor") == rgb(colors[scenario["category"]])
    legend = page.get_by_test_id("legend-category")
    assert "Upstream Regression" in legend.all_inner_texts()
    key = page.locator('[data-testid="legend-category"][data-category="upstream-regression"] i')
    assert key.evaluate("i => getComputedStyle(i).backgroundColor") == rgb(colors["upstream-regression"])


def test_the_trend_chart_paints_each_category_in_its_palette_colour(page: Any, site_url: str) -> None:
    open_page(page, site_url)
    colors = palette(page)
    fills = page.locator('[data-testid="failure-bars"] g').evaluate_all(
        "groups => groups.map(g => [g.dataset.category, g.getAttribute('fill')])"
    )
    assert fills and all(fill == colors[category] for category, fill in fills if category)


def test_no_bar_or_point_of_the_trend_chart_covers_a_panel_label(
    page: Any, make_site: Any, documents: list[dict[str, Any]]
) -> None:
    """The labels sat inside the plots: a first run with the most failures hid "failed and error,
    by category" behind its bar."""
    worst_first = copy.deepcopy(documents[-1])  # the most failures, and the first run on the chart
    worst_first["run_id"] = documents[0]["run_id"].replace("T02", "T01")[:-6] + "abcdef"
    worst_first["started_at"] = documents[0]["started_at"].replace("T02:", "T01:")
    worst_first["finished_at"] = worst_first["started_at"]
    site = make_site([worst_first, *documents])
    open_page(page, (site / "index.html").as_uri())
    page.wait_for_selector('[data-testid="failure-bars"]')
    overlaps = page.evaluate(
        """() => {
          const box = e => e.getBoundingClientRect();
          const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          const labels = [...document.querySelectorAll('[data-testid="trends"] text.panel-label')];
          const marks = [...document.querySelectorAll('[data-testid="category-bar"], circle.point')];
          return labels.flatMap(l => marks.filter(m => hit(box(l), box(m))).map(m => l.textContent));
        }"""
    )
    assert page.locator('[data-testid="trends"] text.panel-label').count() >= 2
    assert page.locator('[data-testid="category-bar"]').count() > 0
    assert overlaps == []


def test_the_site_works_opened_as_a_file(page: Any, site_dir: Path, documents: list[dict[str, Any]]) -> None:
    open_page(page, (site_dir / "index.html").as_uri())
    assert page.get_by_test_id("regression").count() == len(changes(documents)["upstream"])
    scenario = documents[-1]["scenarios"][7]
    page.locator(f'[data-testid="regression"][data-key="{case_key(scenario)}"]').get_by_test_id(
        "regression-link"
    ).click()
    page.wait_for_selector('[data-testid="run-table"][data-loaded]')
    assert page.get_by_test_id("detail-message").inner_text() == scenario["message"]
    page.get_by_role("tab", name="Compare").click()
    page.wait_for_selector('[data-testid="compare-culprits"][data-loaded]')
    assert page.get_by_test_id("culprit").count() == len(documents[-1]["analysis"]["culprits"])


def test_a_single_run_shows_its_failures_by_category(page: Any, make_site: Any) -> None:
    (document,) = generate_history(1, 30)
    site = make_site([document])
    open_page(page, (site / "index.html").as_uri())
    assert page.get_by_test_id("morning-first-run").is_visible()
    shown = page.get_by_test_id("morning-group").evaluate_all("groups => groups.map(g => g.dataset.category)")
    failing = {s["category"] for s in document["scenarios"] if s["status"] in FAILING}
    assert set(shown) == failing
    assert page.get_by_test_id("trends").is_hidden()
    assert page.get_by_test_id("morning-regressions").count() == 0


@pytest.mark.parametrize(
    ("count", "kind"), [("regressions-count", "upstream"), ("still-count", "still")], ids=["new", "still"]
)
def test_a_narrowed_rerun_the_evening_before_leaves_the_morning_numbers_and_the_grid_alone(
    page: Any, make_site: Any, documents: list[dict[str, Any]], count: str, kind: str
) -> None:
    """Each test is compared with the last run it ran in: the rerun's left-out failures are not new."""
    site = make_site(with_a_narrowed_rerun(documents))
    open_page(page, (site / "index.html").as_uri())
    assert_opens_the_grid_listing(page, count, changes(documents)[kind])


@pytest.mark.parametrize(
    ("count", "kind"),
    [("regressions-count", "upstream"), ("fixed-count", "fixed"), ("still-count", "still")],
    ids=["new", "fixed", "still"],
)
def test_a_rerun_the_morning_after_leaves_the_page_and_its_grid_links_on_the_nightly(
    page: Any, make_site: Any, documents: list[dict[str, Any]], count: str, kind: str
) -> None:
    """Before, the rerun of two scenarios became the page's run: the nightly's new regressions
    vanished behind "1 fixed", and the grid compared the rerun with the nightly."""
    runs, (was_failing, _) = with_a_morning_rerun(documents)
    open_page(page, (make_site(runs) / "index.html").as_uri())
    assert page.get_by_test_id("morning-run-link").get_attribute("href") == (
        f"#view=run&run={documents[-1]['run_id']}"
    )
    reruns = page.get_by_test_id("morning-rerun")
    assert reruns.count() == 1
    first = reruns.get_by_test_id("rerun-result").first
    assert first.get_attribute("data-outcome") == "passed"
    assert first.inner_text().startswith(was_failing["scenario"])
    assert first.inner_text().endswith("passed (failed in this run)")
    assert page.get_by_test_id("trends-reruns").inner_text().startswith("1 rerun (narrowed by -k")
    assert_opens_the_grid_listing(page, count, changes(documents)[kind])
    assert page.get_by_test_id("grid-caption").inner_text().startswith("Runs up to 2026-"), (
        "the grid says it leaves the rerun out"
    )


def test_a_new_test_failing_from_its_first_run_says_why_it_has_no_culprit_range(
    page: Any, make_site: Any, documents: list[dict[str, Any]]
) -> None:
    """It read "no culprit range recorded (run with --history)", to a run that had one."""
    newest = copy.deepcopy(documents[-1])
    born = copy.deepcopy(next(s for s in newest["scenarios"] if s["status"] == "passed"))
    born.update(
        nodeid="specs/pipelines/brand-new.spec::Born failing",
        spec="specs/pipelines/brand-new.spec",
        scenario="Born failing",
        id="specs/pipelines/brand-new.spec::PIPELINES-99-TC001",
        status="failed",
        message="pipelinerun p failed",
        category="upstream-regression",
        category_rule="default",
    )
    newest["scenarios"].append(born)
    site = make_site([*documents[:-1], newest])
    open_page(page, (site / "index.html").as_uri())
    card = page.locator(f'[data-testid="regression"][data-key="{case_key(born)}"]')
    assert card.get_by_test_id("regression-culprit").inner_text() == (
        "none: it has not passed in this history yet, so there is no good run to start a range from"
    )
    others = page.get_by_test_id("regression-culprit").all_inner_texts()
    assert not any("--history" in text for text in others), others


def test_a_run_that_is_not_scored_is_faded_and_the_trend_lines_pass_it_by(
    page: Any, make_site: Any, documents: list[dict[str, Any]]
) -> None:
    """A night stopped after 6 scenarios drew the passed line and the pass rate down to it, which read
    as a regression in the trend; its marks are now faded, the lines skip it and it sets no axis."""
    runs = copy.deepcopy(documents)
    stopped = runs[10]
    passed = [s for s in stopped["scenarios"] if s["status"] == "passed"][:3]
    stopped["scenarios"] = passed + [s for s in stopped["scenarios"] if s["status"] == "failed"][:3]
    stopped["status"] = "interrupted"
    stopped["verdict"] = {
        "status": "interrupted",
        "exit_code": 2,
        "sentence": "INTERRUPTED by SIGTERM after 3 of 40 scenarios: the results so far are kept; exit 2",
        "scored": False,
    }
    site = make_site(runs)
    open_page(page, (site / "index.html").as_uri())
    page.wait_for_selector('[data-testid="series-passed"] circle')
    faded = page.locator('[data-testid="series-passed"] circle.unscored')
    assert faded.count() == 1
    run = faded.get_attribute("data-run")
    assert page.locator(f'[data-testid="series-passrate"] circle.unscored[data-run="{run}"]').count() == 1
    vertices = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="line-passed"], [data-testid="line-passrate"]')]
          .map(p => p.getAttribute('d').split(/[ML]/).filter(Boolean).length)"""
    )
    assert vertices == [len(runs) - 1, len(runs) - 1], "each line has a vertex for every scored run only"
    for axis, floor in (("axis-passed", 10), ("axis-passrate", 60)):
        lowest = page.locator(f'[data-testid="{axis}"] .tick text').first.text_content() or ""
        assert int(lowest.rstrip("%")) >= floor, f"the stopped night sets {axis}'s range"
    assert "not scored" in page.get_by_test_id("chart-legend").first.inner_text()


def test_a_newest_run_of_chosen_tags_says_so_under_its_verdict(
    page: Any, make_site: Any, site_url: str, documents: list[dict[str, Any]]
) -> None:
    """(A `-k` rerun is not the page's run: it is listed under it, see the test above.)"""
    newest = copy.deepcopy(documents[-1])
    newest["settings"] = {**newest.get("settings", {}), "selection": "--gauge-tags e2e"}
    site = make_site([*documents[:-1], newest])
    open_page(page, (site / "index.html").as_uri())
    assert page.get_by_test_id("morning-selection").inner_text() == (
        "Scenarios chosen by --gauge-tags e2e: only those ran."
    )
    open_page(page, site_url)  # the whole suite: no such line
    assert page.get_by_test_id("morning-selection").count() == 0


@pytest.mark.parametrize(
    ("state", "shown", "warns"),
    [
        ("failed", "The cluster may still run this run's images. --restore failed: ", True),
        ("pending", "The cluster may still run this run's images. --restore was putting", True),
        ("not-asked", "The cluster still runs this run's images: it ran without --restore.", False),
        ("restored", "", False),
    ],
)
def test_how_the_newest_run_left_the_cluster_is_under_its_verdict(
    page: Any, make_site: Any, documents: list[dict[str, Any]], state: str, shown: str, warns: bool
) -> None:
    """A failed or unfinished --restore left the operator on upstream images: whoever uses the cluster
    next must see it without opening a log (before, only the terminal of the run said so)."""
    newest = copy.deepcopy(documents[-1])
    messages = {
        "failed": "--restore failed: restore did not finish within 900s (--deploy-timeout): pod p:"
        " ImagePullBackOff; run `streamstress restore results` to retry",
        "pending": "--restore was putting the recorded operator images back when this was written; still"
        " pending means the session ended before the restore did: run `streamstress restore results`",
        "not-asked": "the operator runs this run's images (no --restore)",
        "restored": "--restore put the recorded operator images back",
    }
    newest["deploy"] = {**newest["deploy"], "restore": {"state": state, "message": messages[state]}}
    site = make_site([*documents[:-1], newest])
    open_page(page, (site / "index.html").as_uri())
    note = page.get_by_test_id("morning-cluster-left")
    open_page(page, (site / "index.html").as_uri() + f"#view=run&run={newest['run_id']}")
    page.wait_for_selector('[data-testid="run-title"]')
    in_run_view = page.get_by_test_id("run-cluster-left")
    if not shown:
        assert note.count() == 0
        assert in_run_view.count() == 0
        return
    open_page(page, (site / "index.html").as_uri())
    assert note.is_visible()
    assert note.inner_text().startswith(shown)
    assert ("cluster-left" in (note.get_attribute("class") or "")) is warns
    if warns:
        assert "streamstress restore results" in note.inner_text(), "it says how to put the images back"
    open_page(page, (site / "index.html").as_uri() + f"#view=run&run={newest['run_id']}")
    page.wait_for_selector('[data-testid="run-title"]')
    assert in_run_view.is_visible(), "the run view says it too, for any run"
    assert ("cluster-left" in (in_run_view.get_attribute("class") or "")) is warns
