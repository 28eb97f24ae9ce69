"""Synthetic run histories for the dashboard's tests, its benchmark and demos.

Builds results.json documents (schema_version 1, valid against `report/results.schema.json`) for
N runs x M scenarios with reproducible patterns a dashboard must show: steady passes, scenarios
broken from some run on (an upstream regression), flaky scenarios, failures in every category,
component commits that move, emulated runs, and one failure message holding HTML and script.
It is a generator of input, not a double of our code: nothing here knows how the dashboard works.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from pytest_streamstress.history import store as history

CATEGORIES: Final = (
    ("upstream-regression", "Upstream Regression"),
    ("platform-issue", "Platform Issue"),
    ("config-gap", "Config Gap"),
    ("missing-component", "Missing Component"),
)
COMPONENTS: Final = (
    ("pipeline", "https://github.com/tektoncd/pipeline", "pipelines"),
    ("triggers", "https://github.com/tektoncd/triggers", "triggers"),
    ("chains", "https://github.com/tektoncd/chains", "chains"),
)
XSS_MESSAGE: Final = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> step failed'
"""The failure message of scenario 0 whenever it fails: the page must show it as text."""
START: Final = dt.datetime(2026, 1, 1, 2, 0, 0, tzinfo=dt.timezone.utc)


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_id_for(index: int, seed: int = 0) -> str:
    moment = START + dt.timedelta(days=index)
    return f"run-{moment.strftime('%Y%m%dT%H%M%SZ')}-{_sha('run', seed, index)[:6]}"


def _scenario_outcome(rng: random.Random, number: int, run: int, runs: int) -> tuple[str, str | None, bool]:
    """(status, category, flaky) following the scenario's pattern."""
    pattern = number % 10
    if number == 0:  # the XSS scenario: fails every third run
        return ("failed", "upstream-regression", False) if run % 3 == 0 else ("passed", None, False)
    if pattern == 1 and run >= runs - 5:  # broken by an upstream change five runs ago
        return "failed", "upstream-regression", False
    if pattern == 2:  # flaky: fails or passes on retry now and then
        roll = rng.random()
        if roll < 0.25:
            return "failed", "platform-issue", False
        if roll < 0.45:
            return "passed", None, True
        return "passed", None, False
    if pattern == 3 and run % 7 == 3:
        return "error", "config-gap", False
    if pattern == 4 and number % 20 == 4:
        return "skipped", None, False
    if pattern == 5 and rng.random() < 0.1:
        return "failed", "missing-component", False
    return "passed", None, False


def generate_run(index: int, *, runs: int, scenarios: int, seed: int = 0) -> dict[str, Any]:
    """Run number `index` (0 = oldest) of a history of `runs` runs."""
    rng = random.Random(f"{seed}-{index}")
    started = START + dt.timedelta(days=index)
    items: list[dict[str, Any]] = []
    counts = {"total": 0, "passed": 0, "failed": 0, "error": 0, "skipped": 0, "flaky": 0}
    by_category: dict[str, list[str]] = {}
    for number in range(scenarios):
        component, _, folder = COMPONENTS[number % len(COMPONENTS)]
        spec = f"specs/{folder}/area-{number // 10:02d}.spec"
        heading = f"Scenario {number:03d} checks {component} behaviour {number % 7}"
        status, category, flaky = _scenario_outcome(rng, number, index, runs)
        nodeid = f"{spec}::{heading}"
        tags = (
            ["e2e", component]
            + (["admin"] if number % 9 == 0 else [])
            + (["sanity"] if number % 4 == 0 else [])
        )
        item: dict[str, Any] = {
            "nodeid": nodeid,
            "spec": spec,
            "scenario": heading,
            "line": 3 + number % 50,
            "tags": tags,
            "status": status,
            "duration_s": round(1 + rng.random() * 30, 3),
            "flaky": flaky,
            "attempts": 2 if flaky else 1,
            "retries": 1 if flaky else 0,
            "source": "junit",
        }
        if number % 2 == 0:
            item["id"] = f"{spec}::PIPELINES-{number:02d}-TC{number:03d}"
        if status in ("failed", "error"):
            message = (
                XSS_MESSAGE
                if number == 0
                else f"step failed in scenario {number}: expected Succeeded, got Failed"
            )
            item.update(
                {
                    "failing_step": {
                        "text": f"Verify pipelinerun {number} is successful",
                        "line": 10 + number % 20,
                    },
                    "message": message,
                    "trace": f"at step_impl/{component}.go:{100 + number}\n  panic: failed ({index})",
                    "category": category,
                    "category_rule": f"rule-{category}",
                    "category_evidence": "expected Succeeded",
                    "category_field": "message",
                    "known_issue": "https://issues.redhat.com/browse/SRVKP-1234"
                    if category == "platform-issue"
                    else None,
                }
            )
            by_category.setdefault(str(category), []).append(nodeid)
        counts["total"] += 1
        counts[status] += 1
        counts["flaky"] += int(flaky)
        items.append(item)
    components = []
    for name, repo, _ in COMPONENTS:
        generation = index // (3 if name == "pipeline" else 5)
        components.append(
            {
                "name": name,
                "repo": repo,
                "ref": None,
                "status": "built",
                "commit": {
                    "sha": _sha(name, seed, generation),
                    "subject": f"{name}: change {generation}",
                    "date": _stamp(started - dt.timedelta(hours=3)),
                },
                "images": [
                    {
                        "name": f"{name}-controller",
                        "ref": f"registry/ns/{name}-controller@sha256:{_sha(name, index) * 2}"[:120],
                    }
                ],
            }
        )
    labels = dict(CATEGORIES)
    ordered = sorted(by_category.items(), key=lambda kv: (-len(kv[1]), kv[0] != "upstream-regression", kv[0]))
    categories = [
        {"category": cat, "label": labels[cat], "count": len(ids), "scenarios": ids} for cat, ids in ordered
    ]
    emulated = index % 11 == 5
    duration = sum(item["duration_s"] for item in items)
    return {
        "schema_version": 1,
        "run_id": run_id_for(index, seed),
        "label": "nightly" if index % 2 == 0 else "",
        "started_at": _stamp(started),
        "finished_at": _stamp(started + dt.timedelta(seconds=duration)),
        "duration_s": round(duration, 3),
        "status": "failed" if counts["failed"] or counts["error"] else "passed",
        "exit_code": 1 if counts["failed"] else 0,
        "emulated": emulated,
        "plugin_version": "0.1.0",
        "settings": {"tags": "e2e"},
        "cluster": {"kind": "emulated" if emulated else "kubeconfig"},
        "components": components,
        "deploy": {"status": "deployed", "strategy": "csv"},
        "scenarios": items,
        "counts": counts,
        "categories": categories,
        "errors": [],
    }


def generate_history(
    runs: int, scenarios: int, *, seed: int = 0, profile: bool = False, analysis: bool = False
) -> list[dict[str, Any]]:
    """`runs` results.json documents, oldest first.

    `profile` adds a `profile` section (and per-scenario peaks) to every run but those with
    `index % 4 == 1` (made "without --profile"); `analysis` adds an `analysis` section with culprit
    ranges to every run after the first. Both default off, so the plain output never changes.
    """
    documents = [generate_run(i, runs=runs, scenarios=scenarios, seed=seed) for i in range(runs)]
    for index, document in enumerate(documents):
        if profile:
            add_profile(document, index)
        if analysis and index > 0:
            add_analysis(document, documents[:index])
    return documents


# ------------------------------------------------------------------ optional sections (issues 9-11)

PROFILE_LIMITS: Final = ("memory", "cpu")
KNOWN_ISSUE_REASON: Final = "platform flake tracked upstream"


def has_profile(index: int) -> bool:
    return index % 4 != 1


def add_profile(document: dict[str, Any], index: int) -> None:
    """Per-scenario peaks and the run's `profile` section, shaped like `profile.profile_section`."""
    if not has_profile(index):
        document["profile"] = None
        for item in document["scenarios"]:
            item["profile"] = None
        return
    peaks = []
    for number, item in enumerate(document["scenarios"]):
        peak = {
            "peak_cpu_m": float(50 + (number * 37 + index * 11) % 400),
            "peak_memory_b": (64 + (number * 53 + index * 7) % 512) * 2**20,
            "peak_pods": 1 + number % 6,
            "samples": 3 + number % 4,
            "namespaces": [f"e2e-{number:03d}-{_sha(index, number)[:5]}"],
            "controllers_peak_cpu_m": 20.0,
            "controllers_peak_memory_b": 128 * 2**20,
            "attribution": "namespace",
        }
        item["profile"] = peak
        peaks.append({"nodeid": item["nodeid"], **peak})
    heaviest = sorted(peaks, key=lambda p: (p["peak_memory_b"], p["peak_cpu_m"]), reverse=True)[:10]
    limit = 2 + index % 5
    resource = PROFILE_LIMITS[index % 2]
    document["profile"] = {
        "status": "complete",
        "reason": "",
        "samples": 40 + index,
        "failed_samples": 0,
        "cpu_m": _describe([p["peak_cpu_m"] for p in peaks]),
        "memory_b": _describe([float(p["peak_memory_b"]) for p in peaks]),
        "pods": _describe([float(p["peak_pods"]) for p in peaks]),
        "capacity": None,
        "recommendation": {
            "max_parallel_specs": limit,
            "limiting_resource": resource,
            "safety_margin_percent": 20,
            "reasoning": f"{resource} bounds the run at {limit} specs",
            "sentence": f"You can safely run {limit} spec{'' if limit == 1 else 's'} in parallel"
            f" on this cluster (limited by {resource})",
        },
        "heaviest": heaviest,
    }


def _describe(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"min": 0.0, "max": 0.0, "mean": 0.0, "p95": 0.0}
    return {
        "min": ordered[0],
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    }


def _identity(item: dict[str, Any]) -> str:
    return history.case_key(item)


def add_analysis(document: dict[str, Any], earlier: Sequence[dict[str, Any]]) -> None:
    """An `analysis` section (`Analysis.to_json()` shape) with known answers, from plain rules.

    New failure: fails now, passed (or was flaky) in the previous run. Still failing: failed in the
    previous run too (`since` is the first run of the streak). Clusters: failures grouped by their
    message with digits removed, so scenarios "broken by one cause" form one line. Culprit ranges for
    every new failure, between the previous run (good) and this one (bad), like `culprit.Culprit`.
    """
    previous = {_identity(s): s for s in earlier[-1]["scenarios"]}
    failing = [s for s in document["scenarios"] if s["status"] in ("failed", "error")]
    new_failures: list[str] = []
    still_failing: list[dict[str, Any]] = []
    fixed: list[str] = []
    for item in document["scenarios"]:
        key = _identity(item)
        before = previous.get(key)
        was_failing = before is not None and before["status"] in ("failed", "error")
        if item["status"] in ("failed", "error"):
            if was_failing:
                since, runs = _streak(key, earlier, document)
                still_failing.append({"test": key, "since": since, "runs": runs})
            elif before is not None:
                new_failures.append(key)
        elif item["status"] == "passed" and was_failing:
            fixed.append(key)
    clusters: dict[str, list[dict[str, Any]]] = {}
    for item in failing:
        signature = re.sub(r"[0-9]+", "N", item["message"])
        clusters.setdefault(signature, []).append(item)
    document["analysis"] = {
        "history_runs": len(earlier),
        "counts": {"new-failure": len(new_failures), "still-failing": len(still_failing)},
        "new_failures": new_failures,
        "still_failing": still_failing,
        "fixed": fixed,
        "flaky": [_identity(s) for s in document["scenarios"] if s["flaky"]],
        "new_tests": [],
        "removed": [],
        "alerts": [entry["test"] for entry in still_failing if entry["runs"] >= 3],
        "regressions": [
            {
                "subject": entry["test"],
                "recent": [0, entry["runs"]],
                "basis": [10, 0],
                "recent_rate": 0.0,
                "basis_rate": 1.0,
                "p_value": 0.0027,
            }
            for entry in still_failing
            if entry["runs"] >= 3
        ],
        "clusters": [
            {
                "signature": signature,
                "size": len(members),
                "members": [_identity(m) for m in members],
                "example": members[0]["message"][:500],
            }
            for signature, members in sorted(clusters.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
        "known": [
            {
                "test": _identity(s),
                "issue": s["known_issue"],
                "reason": KNOWN_ISSUE_REASON,
                "stale": n % 2 == 1,
            }
            for n, s in enumerate(x for x in failing if x.get("known_issue"))
        ],
        "stale_known_entries": [],
        "culprits": [_culprit(key, earlier[-1], document) for key in new_failures],
    }


def _streak(key: str, earlier: Sequence[dict[str, Any]], document: dict[str, Any]) -> tuple[str, int]:
    since, runs = document["run_id"], 1
    for run in reversed(earlier):
        status = next((s["status"] for s in run["scenarios"] if _identity(s) == key), "")
        if status not in ("failed", "error"):
            break
        since, runs = run["run_id"], runs + 1
    return since, runs


def _culprit(key: str, good: dict[str, Any], bad: dict[str, Any]) -> dict[str, Any]:
    """Pipeline and triggers list their commits; chains, when it moved, was force-pushed away."""
    ruled_out, ranges = [], []
    old_commits = {c["name"]: c for c in good["components"]}
    for component in bad["components"]:
        name, repo = component["name"], component["repo"]
        old, new = old_commits[name]["commit"]["sha"], component["commit"]["sha"]
        if old == new:
            ruled_out.append(name)
            continue
        gone = name == "chains"
        commits = (
            []
            if gone
            else [
                {
                    "sha": _sha(name, "between", old, step),
                    "author": f"dev{step}",
                    "date": bad["started_at"],
                    "subject": f"{name}: upstream change {step} <b>bold</b>",
                }
                for step in range(2)
            ]
            + [
                {
                    "sha": new,
                    "author": "dev",
                    "date": bad["started_at"],
                    "subject": component["commit"]["subject"],
                }
            ]
        )
        ranges.append(
            {
                "component": name,
                "repo": repo,
                "old": old,
                "new": new,
                "state": "old-commit-gone" if gone else "changed",
                "compare_url": f"{repo}/compare/{old}...{new}",
                "note": f"the good run's commit {old[:12]} is gone from {repo} (the branch was probably"
                " force-pushed)"
                if gone
                else "",
                "truncated": False,
                "commits": commits,
            }
        )
    return {
        "test": key,
        "reason": "new-failure",
        "good_run": good["run_id"],
        "bad_run": bad["run_id"],
        "ruled_out": ruled_out,
        "components": ranges,
    }


def name_cluster(
    documents: Sequence[dict[str, Any]], name: str, *, openshift_version: str = "", operator_version: str = ""
) -> list[dict[str, Any]]:
    """The documents as runs of one named cluster (`--cluster-name`, issue 23), with its versions.

    The run ids stay: give each cluster's history its own `seed`, so two clusters' runs never clash.
    """
    csv = f"openshift-pipelines-operator-rh.v{operator_version}" if operator_version else ""
    for document in documents:
        document["cluster"] = {
            **document["cluster"],
            "name": name,
            "server": f"https://api.{name}.example.com:6443",
            "openshift_version": openshift_version,
            "operator_csv": csv,
            "operator_version": operator_version,
        }
    return list(documents)


def write_results_dirs(documents: Sequence[dict[str, Any]], root: Path) -> list[Path]:
    """Each document as `<root>/<run-id>/results.json` (a results directory per run); the directories."""
    made = []
    for document in documents:
        folder = root / document["run_id"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
        made.append(folder)
    return made
