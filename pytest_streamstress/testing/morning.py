"""A synthetic history whose newest run is a morning worth reading, for the morning page (issue 20).

Builds on `histories.generate_history`: every run gets a `verdict` (shaped like report/verdict.py's)
and `category_labels`; the newest run brings new upstream regressions that `--confirm` looked at, a new
config gap, a fix and the tests still failing, with culprit ranges. Input for tests, the benchmark and
screenshots; nothing here knows how the dashboard works.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import Any, Final

from pytest_streamstress.testing.histories import CATEGORIES, add_analysis, generate_history, name_cluster

MORNING_BREAKS: Final = (
    (7, "upstream-regression", "confirmed"),
    (17, "upstream-regression", "passed-on-rerun"),
    (27, "config-gap", None),
)
"""(scenario number, category, what --confirm proved) of the failures new in `morning_history`'s newest
run; scenarios numbered 7, 17, 27 pass in every other run."""
MORNING_FIXED: Final = 11
"""A scenario broken upstream five runs ago (number % 10 == 1) that passes again in the newest run."""
FLEET: Final = (("ocp-4-16", "4.16.12", "1.16.1"), ("ocp-4-14", "4.14.38", "1.14.5"))
"""(name, OpenShift version, operator version) of `fleet_history`'s clusters, the morning one first."""


def add_verdict(document: dict[str, Any], *, fail_on: Sequence[str] = ("upstream-regression",)) -> None:
    """A `verdict` shaped like report/verdict.py's (failures filed under `fail_on` gate the job), the run's
    status and exit code to match, and `category_labels` for every generated category."""
    failures = [s for s in document["scenarios"] if s["status"] in ("failed", "error")]
    gating = sum(1 for s in failures if s.get("category") in fail_on)
    status = "failed" if gating else "passed"
    gate = ",".join(fail_on)
    if gating:
        sentence = f"FAILED: {gating} failure{'s' if gating != 1 else ''} fail the job (--fail-on {gate})"
    elif failures:
        sentence = f"PASSED: {len(failures)} failures, none gates the job (--fail-on {gate})"
    else:
        sentence = "PASSED: no scenario failed"
    code = 1 if gating else 0
    document["status"] = status
    document["exit_code"] = code
    document["verdict"] = {
        "status": status,
        "exit_code": code,
        "sentence": f"{sentence}; exit {code}",
        "gating": gating,
        "excused": len(failures) - gating,
        "harness": 0,
        "reasons": [],
        "scored": True,
    }
    document["category_labels"] = [{"category": cat, "label": label} for cat, label in CATEGORIES]


def morning_history(runs: int, scenarios: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """A history whose newest run is a morning worth reading: pipeline moved overnight, two new upstream
    regressions (one that --confirm confirmed, one that passed on rerun), a new config gap, one fix, the
    rest still failing; every run with a verdict, the newest with culprit ranges (`add_analysis`). Needs
    30+ scenarios."""
    documents = generate_history(runs, scenarios, seed=seed)
    last = documents[-1]
    for number, category, confirmation in MORNING_BREAKS:
        upstream = category == "upstream-regression"
        item = last["scenarios"][number]
        component = item["tags"][1]
        item.update(
            {
                "status": "failed",
                "failing_step": {"text": f"Verify pipelinerun {number} is successful", "line": 12 + number},
                "message": f'pipelinerun run-{number} failed: task "build" failed: {component} controller'
                " panic: runtime error: invalid memory address or nil pointer dereference",
                "trace": f"at step_impl/{component}.go:{200 + number}",
                "category": category,
                "category_rule": "controller-panic" if upstream else "secret-missing",
                "category_evidence": "panic: runtime error",
                "category_field": "message",
                "known_issue": None,
            }
        )
        if confirmation is not None:
            item["confirmation"] = {
                "verdict": confirmation,
                "reason": "fails on the upstream images, passes on the shipped ones"
                if confirmation == "confirmed"
                else "passed when run again on the upstream images",
                "attempts": [],
            }
    fixed = last["scenarios"][MORNING_FIXED]
    fixed.update({"status": "passed", "category": None, "message": "", "failing_step": None})
    pipeline = next(c for c in last["components"] if c["name"] == "pipeline")
    pipeline["commit"] = {
        **pipeline["commit"],
        "sha": hashlib.sha1(f"pipeline/{seed}/morning".encode()).hexdigest(),
        "subject": "last night",
    }
    _recount(last)
    for document in documents:
        add_verdict(document)
    add_analysis(last, documents[:-1])
    return documents


def with_a_narrowed_rerun(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history with a `-k` rerun of one passing scenario between its two newest runs (the evening
    before): each test must still be compared with the last run it ran in."""
    narrowed = copy.deepcopy(documents[-2])
    narrowed["run_id"] = narrowed["run_id"].replace("T02", "T14")[:-6] + "abcdef"
    narrowed["started_at"] = narrowed["started_at"].replace("T02:", "T14:")
    narrowed["finished_at"] = narrowed["started_at"]
    narrowed["scenarios"] = [s for s in narrowed["scenarios"] if s["status"] == "passed"][:1]
    narrowed["settings"] = {**narrowed.get("settings", {}), "selection": "-k one"}
    _recount(narrowed)
    return [*documents[:-1], narrowed, documents[-1]]


def with_a_morning_rerun(
    documents: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]:
    """The history with a `-k` rerun after its newest run (the morning after): one of the newest run's
    failures passes now, beside one scenario that passed then too. Returns the runs and those two
    scenarios as the newest run had them (the failure, the pass)."""
    newest = documents[-1]
    failing = next(s for s in newest["scenarios"] if s["status"] == "failed")
    passing = next(s for s in newest["scenarios"] if s["status"] == "passed")
    rerun = copy.deepcopy(newest)
    rerun["run_id"] = newest["run_id"][:-6] + "fedcba"
    rerun["started_at"] = rerun["finished_at"] = newest["started_at"].replace("T02:", "T09:")
    scenarios = [copy.deepcopy(passing), copy.deepcopy(failing)]
    scenarios[1].update(status="passed", category=None, category_rule=None, message="")
    rerun["scenarios"] = scenarios
    rerun["settings"] = {**rerun.get("settings", {}), "selection": "-k 'TC07 or TC08'"}
    for key in ("verdict",):
        rerun.pop(key, None)
    rerun["status"] = "passed"
    _recount(rerun)
    return [*documents, rerun], (failing, passing)


def _recount(document: dict[str, Any]) -> None:
    counts = {"total": 0, "passed": 0, "failed": 0, "error": 0, "skipped": 0, "flaky": 0}
    by_category: dict[str, list[str]] = {}
    for item in document["scenarios"]:
        counts["total"] += 1
        counts[item["status"]] += 1
        counts["flaky"] += int(item["flaky"])
        if item["status"] in ("failed", "error") and item.get("category"):
            by_category.setdefault(item["category"], []).append(item["nodeid"])
    labels = dict(CATEGORIES)
    ordered = sorted(by_category.items(), key=lambda kv: (-len(kv[1]), kv[0] != "upstream-regression", kv[0]))
    document["counts"] = counts
    document["categories"] = [
        {"category": cat, "label": labels[cat], "count": len(ids), "scenarios": ids} for cat, ids in ordered
    ]


def fleet_history(
    runs: int, scenarios: int, *, clusters: Sequence[tuple[str, str, str]] = FLEET
) -> list[dict[str, Any]]:
    """One run per cluster and night, as `--clusters` records them (issue 23), oldest first.

    The first cluster's nights are `morning_history`'s (its newest run brings new upstream
    regressions and a fix); each other cluster's are plain generated nights with verdicts and its
    own seed, so its flakes, failures and run ids differ. Every run of a night starts at the same time.
    """
    documents: list[dict[str, Any]] = []
    for seed, (name, openshift, operator) in enumerate(clusters):
        own = (
            morning_history(runs, scenarios, seed=seed)
            if seed == 0
            else generate_history(runs, scenarios, seed=seed)
        )
        for document in own:
            if "verdict" not in document:
                add_verdict(document)
        documents += name_cluster(own, name, openshift_version=openshift, operator_version=operator)
    return sorted(documents, key=lambda d: (d["started_at"], d["run_id"]))
