"""The watch of the cluster's API (run/api_watch.py), the failures it re-files (run/verdicts.py), and
what --confirm's reruns on the shipped images prove while it does not answer (run/confirm.py).

The watch is driven by a scripted probe and a counting clock; a real session whose API answers 503
for a while is in tests/cluster/test_cluster_lost.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_streamstress.errors import ClusterError
from pytest_streamstress.gauge.execute import SpecRun
from pytest_streamstress.model import HARNESS, Categorization, ScenarioOutcome, Status
from pytest_streamstress.report.results_json import ScenarioRecord
from pytest_streamstress.run.api_watch import ApiWatch, Outage
from pytest_streamstress.run.confirm import ConfirmPlan, confirm
from pytest_streamstress.run.verdicts import cannot_confirm, refile_cluster_lost
from pytest_streamstress.triage.categorize import load_rules

CATEGORIES = ("upstream-regression", "platform-issue", "config-gap")


class ScriptedProbe:
    """Answers (True) or refuses (False) as scripted, then keeps the last answer; counts the questions."""

    def __init__(self, script: list[bool]) -> None:
        self.script = script
        self.asked = 0
        self.closed = False
        self.done = threading.Event()

    def ask(self) -> None:
        answer = self.script[min(self.asked, len(self.script) - 1)]
        self.asked += 1
        if self.asked >= len(self.script):
            self.done.set()
        if not answer:
            raise ClusterError("the API server at https://api.example.com:6443 answered HTTP 503")

    def close(self) -> None:
        self.closed = True


def ticking() -> Iterator[float]:
    t = 1000.0
    while True:
        yield t
        t += 1.0


def watched(script: list[bool]) -> tuple[tuple[Outage, ...], ScriptedProbe]:
    probe = ScriptedProbe(script)
    clock = ticking()
    watch = ApiWatch(lambda: probe, interval=0.001, clock=lambda: next(clock))
    watch.start()
    assert probe.done.wait(10)
    outages = watch.stop()
    assert watch.stop() == outages, "stop() is safe to call twice"
    return outages, probe


def test_an_outage_runs_from_the_last_answer_to_the_next_one() -> None:
    outages, probe = watched([True, False, False, True])
    (outage,) = outages
    # clock: asked 1000, answered 1001; asked 1002 (503); asked 1003 (503); asked 1004 (answered)
    assert (outage.since, outage.until) == (1001.0, 1004.0)
    assert outage.reason == "the API server at https://api.example.com:6443 answered HTTP 503"
    assert probe.closed


def test_an_outage_still_open_when_the_scenarios_end_has_no_end() -> None:
    outages, _ = watched([True, False])
    assert [(o.since, o.until) for o in outages] == [(1001.0, None)]
    assert outages[0].words().endswith("UTC until the scenarios ended")


def test_a_cluster_that_never_answered_has_nothing_to_lose() -> None:
    """The offline sessions (--skip-deploy, a kubeconfig nobody uses) must never file outages."""
    outages, _ = watched([False, False, False])
    assert outages == ()


def test_no_probe_at_all_is_no_watch() -> None:
    def refuse() -> ScriptedProbe:
        raise ClusterError("kubeconfig /nowhere does not exist")

    watch = ApiWatch(refuse, interval=0.001)
    watch.start()
    assert watch.stop() == ()


def record(name: str, start: str, end: str, category: str = "upstream-regression") -> ScenarioRecord:
    return ScenarioRecord(
        nodeid=f"specs/a.spec::{name}",
        spec="specs/a.spec",
        scenario=name,
        line=1,
        tags=(),
        status=Status.FAILED,
        category=Categorization(category=category, rule="default"),
        started_at=f"2026-12-06T21:{start}Z",
        finished_at=f"2026-12-06T21:{end}Z",
    )


def at(minute_second: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(f"2026-12-06T21:{minute_second}+00:00").timestamp()


OUTAGE = Outage(since=at("58:03"), until=at("58:40"), reason="HTTP 503")


def test_only_the_failures_that_ran_in_the_outage_are_refiled() -> None:
    records = {
        r.nodeid: r
        for r in (
            record("before", "57:00.000", "58:01.500"),
            record("during", "57:30.000", "58:10.000"),
            record("after", "58:42.000", "59:00.000"),
            record("gauge broke", "58:05.000", "58:06.000", category=HARNESS),
        )
    }
    moved, reason = refile_cluster_lost(records, [OUTAGE], categories=CATEGORIES)
    assert moved == ["specs/a.spec::during"]
    during = records["specs/a.spec::during"].category
    assert during is not None
    assert (during.category, during.rule, during.field) == (
        "platform-issue",
        "cluster-unreachable",
        "cluster",
    )
    assert during.evidence == (
        "the cluster's API did not answer from 21:58:03 to 21:58:40 UTC: HTTP 503;"
        " the rules had said upstream-regression (rule 'default')"
    )
    assert reason == (
        "the cluster's API did not answer from 21:58:03 to 21:58:40 UTC (HTTP 503); 1 failure in that"
        " time filed by rule 'cluster-unreachable'"
    )
    for kept in ("before", "after", "gauge broke"):
        assert records[f"specs/a.spec::{kept}"].category.rule == "default"  # type: ignore[union-attr]


def test_a_rules_file_without_platform_issue_keeps_the_category_but_names_the_outage() -> None:
    records = {"x": record("x", "58:10.000", "58:20.000", category="config-gap")}
    moved, _ = refile_cluster_lost(records, [OUTAGE], categories=("config-gap",))
    assert moved == ["x"]
    assert records["x"].category == Categorization(
        category="config-gap",
        rule="cluster-unreachable",
        evidence="the cluster's API did not answer from 21:58:03 to 21:58:40 UTC: HTTP 503;"
        " the rules had said config-gap (rule 'default')",
        field="cluster",
    )


def test_an_outage_with_no_failure_in_it_leaves_the_run_scored() -> None:
    records = {"x": record("x", "59:10.000", "59:20.000")}
    assert refile_cluster_lost(records, [OUTAGE], categories=CATEGORIES) == ([], "")


@pytest.mark.parametrize(
    ("moved", "outages", "expected"),
    [
        ("", [OUTAGE], ""),
        (
            "",
            [Outage(since=1.0, until=None, reason="refused")],
            "the cluster's API stopped answering during the run",
        ),
        ("CSV x now sets ...", [], "the operator's images changed during the run"),
    ],
    ids=["answered-again", "still-down", "images-moved"],
)
def test_confirm_reruns_nothing_on_a_cluster_that_does_not_answer(
    moved: str, outages: list[Outage], expected: str
) -> None:
    assert cannot_confirm(images_moved=moved, outages=outages) == expected


def test_lost_during_waits_for_a_question_after_the_window_and_names_the_outage() -> None:
    probe = ScriptedProbe([True, False, False, True])
    clock = ticking()
    watch = ApiWatch(lambda: probe, interval=0.001, clock=lambda: next(clock))
    watch.start()
    try:
        # asked 1000 (answered 1001), 1002 and 1003 unanswered, 1004 answered again
        assert watch.lost_during(1001.5, 1002.5).startswith("the cluster's API did not answer from ")
        assert watch.lost_during(1001.5, 1002.5).endswith("answered HTTP 503")
        assert watch.lost_during(1010.0, 1011.0) == "", "asked again after 1011 and it answered"
    finally:
        watch.stop()
    assert watch.lost_during(1002.0, 1003.0), "a stopped watch still knows its outages, without waiting"


# --- --confirm's reruns on the shipped images, on a cluster that stopped answering -------------------


class FakeRunner:
    """Each rerun fails; records which images it ran on through the plan's calls."""

    def run_spec(self, ordered: list[Any]) -> SpecRun:
        outcome = ScenarioOutcome(status=Status.FAILED, message="pipelinerun r failed")
        return SpecRun(
            argv=(), log_path=Path("x.log"), outcomes={"k": outcome}, tails={}, keys=("k",) * len(ordered)
        )


def confirm_plan(records: dict[str, ScenarioRecord], lost: str) -> ConfirmPlan:
    item = SimpleNamespace(path=Path("specs/a.spec"), scenario=SimpleNamespace(line=3), row=None)
    item.nodeid = next(iter(records))
    return ConfirmPlan(
        records=records,
        items=lambda chosen: {item.nodeid: item},  # type: ignore[misc, dict-item]
        runner=lambda seconds: FakeRunner(),  # type: ignore[arg-type, return-value]
        restore_shipped=lambda: None,
        redeploy_upstream=None,
        rules=load_rules(),
        limit=20,
        timeout=600,
        say=lambda text: None,
        lost=lambda start, end: lost,
    )


@pytest.mark.parametrize(
    ("lost", "verdict"),
    [("", "fails-on-shipped"), ("the cluster's API did not answer from 21:58:03 UTC ...", "not-checked")],
    ids=["answered", "did-not-answer"],
)
def test_a_failure_on_the_shipped_images_while_the_api_did_not_answer_clears_nothing(
    lost: str, verdict: str
) -> None:
    regression = record("r", "58:10.000", "58:20.000")
    records = {regression.nodeid: regression}
    confirm(confirm_plan(records, lost))
    settled = records[regression.nodeid]
    assert settled.confirmation is not None
    assert settled.confirmation.verdict == verdict
    if lost:
        assert settled.confirmation.reason == f"{lost}, during the reruns on the shipped images"
        assert settled.category is not None and settled.category.category == "upstream-regression"
        assert [a.images for a in settled.confirmation.attempts] == ["upstream", "shipped"]
