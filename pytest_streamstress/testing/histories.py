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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

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


def generate_history(runs: int, scenarios: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """`runs` results.json documents, oldest first."""
    return [generate_run(i, runs=runs, scenarios=scenarios, seed=seed) for i in range(runs)]


def write_results_dirs(documents: Sequence[dict[str, Any]], root: Path) -> list[Path]:
    """Each document as `<root>/<run-id>/results.json` (a results directory per run); the directories."""
    made = []
    for document in documents:
        folder = root / document["run_id"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
        made.append(folder)
    return made
