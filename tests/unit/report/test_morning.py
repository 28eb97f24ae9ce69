"""The morning page's view model (report/morning.py): pure, from the index and the newest run's details.

Expectations are computed from the generated documents (testing/morning.py `morning_history`), whose
newest run breaks scenarios 7 and 17 upstream (confirmed, passed on rerun), 27 by a config gap, and
fixes 11.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import (
    HistoryIndex,
    VerdictSummary,
    add_run,
    case_key,
    read_details,
    update_index,
)
from pytest_streamstress.report.changes import changes, is_scored, subject_of
from pytest_streamstress.report.morning import CARDS, build_morning, gate_of
from pytest_streamstress.report.site import palette_of, shipped_colors
from pytest_streamstress.report.verdict import CLUSTER_LOST, IMAGES_MOVED
from pytest_streamstress.testing.histories import generate_history, write_results_dirs
from pytest_streamstress.testing.morning import (
    MORNING_BREAKS,
    MORNING_FIXED,
    morning_history,
    with_a_morning_rerun,
    with_a_narrowed_rerun,
)

RUNS = 12
SCENARIOS = 40
FAILING = ("failed", "error")


def history_of(tmp_path: Path, documents: list[dict[str, Any]]) -> Path:
    history = tmp_path / "history"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(history, folder / "results.json")
    return history


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return morning_history(RUNS, SCENARIOS)


@pytest.fixture(scope="module")
def history(documents: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return history_of(tmp_path_factory.mktemp("morning"), documents)


def morning(history: Path, index: HistoryIndex | None = None) -> Any:
    index = index or update_index(history)
    details = read_details(history / index.runs[subject_of(index.runs)].file)
    return build_morning(index, details, palette_of(index, shipped_colors()))


def key_of(documents: list[dict[str, Any]], number: int) -> str:
    return case_key(documents[-1]["scenarios"][number])


def test_new_upstream_regressions_are_the_newest_runs_upstream_failures_that_passed_before(
    history: Path, documents: list[dict[str, Any]]
) -> None:
    new, _ = new_and_fixed(documents)
    upstream = [n for n, category, _ in MORNING_BREAKS if category == "upstream-regression"]
    regressions = [item.key for item in morning(history).regressions]
    assert sorted(regressions) == sorted(key for key, cat in new.items() if cat == "upstream-regression")
    assert {key_of(documents, n) for n in upstream} <= set(regressions)


def test_a_regression_says_what_confirm_proved_and_shows_step_message_rule_and_culprit(
    history: Path, documents: list[dict[str, Any]]
) -> None:
    view = morning(history)
    confirmed = next(item for item in view.regressions if item.key == key_of(documents, 7))
    scenario = documents[-1]["scenarios"][7]
    assert confirmed.confirmation == "confirmed"
    assert confirmed.confirmation_text.startswith("confirmed")
    assert confirmed.step == scenario["failing_step"]["text"]
    assert confirmed.message.startswith("pipelinerun run-7 failed")
    assert confirmed.rule == "controller-panic"
    assert confirmed.suspects, "the newest run's analysis recorded a culprit range"
    assert confirmed.first_failing == view.run_name
    rerun = next(item for item in view.regressions if item.key == key_of(documents, 17))
    assert rerun.confirmation == "passed-on-rerun"


def new_and_fixed(documents: list[dict[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """New failures (key -> category) and fixed tests of the newest run, read from the documents."""
    before = {case_key(s): s["status"] for s in documents[-2]["scenarios"]}
    new = {
        case_key(s): s["category"]
        for s in documents[-1]["scenarios"]
        if s["status"] in FAILING and before[case_key(s)] not in FAILING
    }
    fixed = [
        case_key(s)
        for s in documents[-1]["scenarios"]
        if s["status"] == "passed" and before[case_key(s)] in FAILING
    ]
    return new, fixed


def test_other_new_failures_are_grouped_by_category(history: Path, documents: list[dict[str, Any]]) -> None:
    groups = morning(history).new_groups
    new, _ = new_and_fixed(documents)
    shown = {item.key: group.category for group in groups for item in group.items}
    assert shown == {key: cat for key, cat in new.items() if cat != "upstream-regression"}
    assert key_of(documents, 27) in shown
    sizes = [len(group.items) for group in groups]
    assert sizes == sorted(sizes, reverse=True)
    config_gap = next(g for g in groups if g.category == "config-gap")
    assert config_gap.color.startswith("#") and config_gap.link == "#view=grid&chg=new&cat=config-gap"


def test_fixed_and_still_failing_compare_with_the_previous_run(
    history: Path, documents: list[dict[str, Any]]
) -> None:
    view = morning(history)
    before = {case_key(s): s["status"] for s in documents[-2]["scenarios"]}
    still = sorted(
        case_key(s)
        for s in documents[-1]["scenarios"]
        if s["status"] in FAILING and before[case_key(s)] in FAILING
    )
    _, fixed = new_and_fixed(documents)
    assert sorted(item.key for item in view.fixed) == sorted(fixed)
    assert key_of(documents, MORNING_FIXED) in fixed
    assert sorted(item.key for item in view.still_failing) == still
    assert view.compared_with.startswith(documents[-2]["started_at"][:10])


def test_still_failing_says_since_which_run_and_for_how_many(
    history: Path, documents: list[dict[str, Any]]
) -> None:
    broken = next(i for i in morning(history).still_failing if i.key == key_of(documents, 21))
    assert broken.runs == 5  # the generator breaks every 10th+1 scenario in the last five runs
    assert broken.first_failing.startswith(documents[-5]["started_at"][:10])


def test_a_single_run_lists_its_failures_by_category(tmp_path: Path) -> None:
    (document,) = generate_history(1, 30)
    view = morning(history_of(tmp_path, [document]))
    failing = {s["category"] for s in document["scenarios"] if s["status"] in FAILING}
    assert {g.category for g in view.failures_by_category} == failing
    assert view.compared_with == "" and view.regressions == ()


def test_a_run_that_did_not_happen_as_asked_calls_nothing_new(
    history: Path, documents: list[dict[str, Any]]
) -> None:
    index = update_index(history)
    last = index.runs[-1]
    assert last.verdict is not None
    verdict = dataclasses.replace(last.verdict, status="incomplete", scored=False)
    broken = dataclasses.replace(last, verdict=verdict)
    view = morning(history, dataclasses.replace(index, runs=(*index.runs[:-1], broken)))
    assert not view.scored and view.regressions == () and view.fixed == ()
    assert sum(len(g.items) for g in view.failures_by_category) == sum(
        1 for s in documents[-1]["scenarios"] if s["status"] in FAILING
    )


def test_changes_skip_runs_that_are_not_scored(history: Path) -> None:
    index = update_index(history)
    middle = index.runs[-2]
    unscored = dataclasses.replace(middle, verdict=VerdictSummary(status="incomplete", scored=False))
    index = dataclasses.replace(index, runs=(*index.runs[:-2], unscored, index.runs[-1]))
    assert not is_scored(index.runs[-2])
    view = morning(history, index)
    assert view.compared_with.startswith(index.runs[-3].started_at[:10])
    assert changes(index, len(index.runs) - 1, len(index.runs) - 3)


@pytest.mark.parametrize(
    ("status", "counts", "gating", "harness", "text", "tone"),
    [
        ("passed", (7, 3, 4, 0), 0, 0, "4 failures, none gate the job", "warn"),
        ("passed", (7, 6, 1, 0), 0, 0, "1 failure, it does not gate the job", "warn"),
        ("passed", (7, 7, 0, 0), 0, 0, "no failures", "ok"),
        ("failed", (7, 3, 3, 1), 1, 0, "1 of 4 failures gates the job", "bad"),
        ("failed", (7, 3, 3, 1), 2, 0, "2 of 4 failures gate the job", "bad"),
        ("incomplete", (7, 3, 0, 4), 0, 4, "the harness broke: not scored", "broken"),
        # -x or the 75 % guard: gauge did not break, and the badge must not say it did
        ("incomplete", (7, 2, 1, 0), 0, 0, "not every scenario ran: not scored", "broken"),
    ],
    ids=["ungated", "one-ungated", "clean", "one-gates", "two-gate", "harness", "stopped-early"],
)
def test_the_gate_badge_says_what_the_verdict_means(
    history: Path,
    status: str,
    counts: tuple[int, int, int, int],
    gating: int,
    harness: int,
    text: str,
    tone: str,
) -> None:
    total, passed, failed, error = counts
    run = dataclasses.replace(
        update_index(history).runs[-1],
        counts=(("total", total), ("passed", passed), ("failed", failed), ("error", error), ("skipped", 0)),
        verdict=VerdictSummary(status=status, gating=gating, harness=harness, scored=status != "incomplete"),
    )
    gate = gate_of(run)
    assert (gate.status, gate.text, gate.tone) == (status, text, tone)


@pytest.mark.parametrize(
    ("sentence", "text"),
    [
        (
            f"INCOMPLETE: CSV x now sets IMAGE_Y=z, not this run's w: ..., {IMAGES_MOVED}, ...; exit 1",
            "the operator's images changed during the run: not scored",
        ),
        (
            f"INCOMPLETE: the cluster's API did not answer from ... (HTTP 503); ..., {CLUSTER_LOST}; exit 1",
            "the cluster's API stopped answering: not scored",
        ),
    ],
    ids=["images-moved", "cluster-lost"],
)
def test_the_badge_of_an_unscored_run_says_why_when_gauge_did_not_break(
    history: Path, sentence: str, text: str
) -> None:
    run = dataclasses.replace(
        update_index(history).runs[-1],
        verdict=VerdictSummary(status="incomplete", sentence=sentence, scored=False),
    )
    assert gate_of(run).text == text


@pytest.mark.parametrize(
    ("status", "restore", "text", "tone"),
    [
        ("passed", "failed", "no failures; --restore failed: the job failed", "bad"),
        ("passed", "cut-off", "no failures; --restore cut-off: the job failed", "bad"),
        ("passed", "restored", "no failures", "ok"),
        ("passed", "not-asked", "no failures", "ok"),
        ("passed", "pending", "no failures", "ok"),
        ("failed", "failed", "1 of 1 failure gates the job", "bad"),
    ],
)
def test_a_passed_run_whose_restore_failed_has_a_red_badge(
    history: Path, status: str, restore: str, text: str, tone: str
) -> None:
    """It exited 1 (report/verdict.after_restore): a green "no failures" badge would hide a red job."""
    failed = 1 if status == "failed" else 0
    run = dataclasses.replace(
        update_index(history).runs[-1],
        counts=(("total", 3), ("passed", 3 - failed), ("failed", failed), ("error", 0), ("skipped", 0)),
        verdict=VerdictSummary(status=status, gating=failed),
        restore=(restore, "--restore failed: why"),
    )
    gate = gate_of(run)
    assert (gate.status, gate.text, gate.tone) == (status, text, tone)


def test_every_number_on_the_page_links_to_a_view_listing_the_same_tests(history: Path) -> None:
    view = morning(history)
    assert view.regressions_link == "#view=grid&chg=new&cat=upstream-regression"
    assert view.new_link == "#view=grid&chg=new&cat=%21upstream-regression"  # every new failure but those
    assert view.fixed_link == "#view=grid&chg=fixed"
    assert view.still_link == "#view=grid&chg=still"
    run = view.run_id
    links = {count.label: count.link for count in view.counts}
    assert links["failed"] == f"#view=run&run={run}&status=failed"
    assert links["Upstream Regression"] == f"#view=run&run={run}&cat=upstream-regression"


def test_links_from_a_results_file_are_kept_only_when_http(tmp_path: Path) -> None:
    documents = morning_history(4, 30)
    documents[-1]["scenarios"][7]["known_issue"] = "javascript:alert(1)"
    view = morning(history_of(tmp_path, documents))
    assert next(i for i in view.regressions if i.key == key_of(documents, 7)).known_issue == ""


def test_the_verdict_line_is_the_runs_sentence_without_its_status_word(history: Path) -> None:
    view = morning(history)
    assert view.gate is not None and view.gate.status == "failed"
    assert view.sentence.startswith("5 failures fail the job")


def test_a_bad_night_shows_the_first_regressions_and_counts_them_all(tmp_path: Path) -> None:
    documents = morning_history(4, 200)
    for scenario in documents[-1]["scenarios"][100:160]:  # sixty more tests broken upstream overnight
        if scenario["status"] == "passed" and not scenario["flaky"]:
            scenario.update({"status": "failed", "category": "upstream-regression", "message": "boom"})
    broken = sum(
        1
        for before, now in zip(documents[-2]["scenarios"], documents[-1]["scenarios"], strict=True)
        if now["status"] in FAILING
        and before["status"] not in FAILING
        and now["category"] == "upstream-regression"
    )
    view = morning(history_of(tmp_path, documents))
    assert view.regression_count == broken > CARDS
    assert len(view.regressions) == CARDS


def test_a_narrowed_run_before_the_newest_does_not_make_old_failures_new(
    documents: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A `-k` rerun of one scenario the evening before: the nightly's failures it left out read as
    "new upstream regressions" the next morning, because each test was compared with that one run."""
    with_rerun = morning(history_of(tmp_path, with_a_narrowed_rerun(documents)))
    plain = morning(history_of(tmp_path / "plain", documents))

    def names(items: tuple[Any, ...]) -> list[str]:
        return [item.scenario for item in items]

    assert with_rerun.regression_count == plain.regression_count
    assert names(with_rerun.regressions) == names(plain.regressions)
    assert with_rerun.new_count == plain.new_count
    assert (with_rerun.fixed_count, with_rerun.still_count) == (plain.fixed_count, plain.still_count)
    assert names(with_rerun.still_failing) == names(plain.still_failing)


def test_a_morning_rerun_after_the_nightly_leaves_the_page_on_the_nightly_and_says_what_it_found(
    documents: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A `-k` rerun of two scenarios after the nightly became the page's run: the nightly's new
    regressions vanished behind "1 fixed", compared with the rerun."""
    runs, (was_failing, was_passing) = with_a_morning_rerun(documents)
    view = morning(history_of(tmp_path, runs))
    plain = morning(history_of(tmp_path / "plain", documents))

    assert view.run_id == documents[-1]["run_id"] == plain.run_id
    assert (view.regression_count, view.new_count, view.fixed_count, view.still_count) == (
        plain.regression_count,
        plain.new_count,
        plain.fixed_count,
        plain.still_count,
    )
    rerun_id = runs[-1]["run_id"]
    assert view.regressions_link.endswith(f"&upto={documents[-1]['run_id']}")
    assert plain.regressions_link.endswith("&cat=upstream-regression"), "no upto without reruns"
    (rerun,) = view.reruns
    assert rerun.selection == "-k 'TC07 or TC08'"
    assert rerun.link == f"#view=run&run={rerun_id}"
    # The nightly's failure first: that it passes now is the rerun's news.
    assert [(r.scenario, r.outcome, r.before) for r in rerun.results] == [
        (was_failing["scenario"], "passed", "failed"),
        (was_passing["scenario"], "passed", "passed"),
    ]
    assert rerun.gate.text == "no failures"


def test_when_every_run_is_a_rerun_the_page_is_the_newest(
    documents: list[dict[str, Any]], tmp_path: Path
) -> None:
    runs = copy.deepcopy(documents[-2:])
    for run in runs:
        run["settings"] = {**run.get("settings", {}), "selection": "-k TC02"}
    view = morning(history_of(tmp_path, runs))
    assert view.run_id == runs[-1]["run_id"]
    assert view.selection == "-k TC02"
    assert view.reruns == ()


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        ({"selection": "--gauge-tags e2e"}, "--gauge-tags e2e"),
        ({"gauge_tags": "e2e & !tls"}, "--gauge-tags 'e2e & !tls'"),  # a run written before `selection`
        ({}, ""),
    ],
    ids=["tags", "older-run-tags", "whole-suite"],
)
def test_the_morning_page_says_how_the_newest_run_chose_its_scenarios(
    documents: list[dict[str, Any]], tmp_path: Path, settings: dict[str, str], shown: str
) -> None:
    """A run of another suite (`--gauge-tags`) is the page's run, and the page says how it chose."""
    newest = copy.deepcopy(documents[-1])
    kept = {k: v for k, v in newest.get("settings", {}).items() if k != "gauge_tags"}
    newest["settings"] = {**kept, **settings}
    history = history_of(tmp_path, [*documents[:-1], newest])
    index = update_index(history)
    assert index.runs[-1].selection == shown
    assert morning(history, index).selection == shown
