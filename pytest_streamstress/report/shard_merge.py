"""Many shards' results.json documents -> one run's results.json (issue 23). Pure: documents in, one out.

One run id (derived from the Job, so collecting twice gives the same run), every planned scenario
exactly once with its `shard`, the shard summaries (pod, node, start/end, exit) and the plan. A
scenario the plan gave to a shard whose results are missing (the pod was OOM-killed, evicted, hit the
deadline, or its shard did not report that scenario; of a shard whose pod failed, only scenarios
that passed or failed before it ended keep their outcome) is an `error` of category `harness` with the
pod's reason: a lost shard is a broken harness, never a verdict on the code (the verdicts issue),
and it does not cost the other shards their results. The run-wide facts (cluster, components,
deploy) are the first finished shard's: every shard tested the one deployment the launcher made. The
verdict (status, exit code, sentence) is decided over the merged scenarios as one session decides it,
so a lost shard makes the run `incomplete`, never a pass and never a verdict on upstream.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pytest_streamstress.profile.shards import ShardPlan
from pytest_streamstress.report.failed_install import refile_after_failed_install
from pytest_streamstress.report.results_json import (
    SCHEMA_VERSION,
    RunError,
    ScenarioRecord,
    category_order,
    new_run_id,
    stable_id,
)
from pytest_streamstress.report.verdict import RunState, Verdict, decide

HARNESS: Final = "harness"
LOST_RULE: Final = "shard-lost"
RAN: Final = ("passed", "failed")
"""A lost shard's scenarios that really ran before its pod ended keep their outcome; the rest are lost."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShardSummary:
    index: int
    status: str
    """finished or lost"""
    pod: str = ""
    node: str = ""
    phase: str = ""
    reason: str = ""
    exit_code: int | None = None
    pytest_exit_code: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""

    def to_json(self, *, scenarios: int, run_status: str | None) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "pod": self.pod,
            "node": self.node,
            "phase": self.phase,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "pytest_exit_code": self.pytest_exit_code,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "scenarios": scenarios,
            "run_status": run_status,
            "message": self.message,
        }


def merge_shards(
    plan: ShardPlan,
    documents: Mapping[int, Mapping[str, Any]],
    summaries: Sequence[ShardSummary],
    *,
    job: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The merged results.json (validates against results.schema.json); `documents` by shard index."""
    by_index = {summary.index: summary for summary in summaries}
    base = next((documents[i] for i in sorted(documents)), None)
    scenarios: list[dict[str, Any]] = []
    per_shard: dict[int, int] = {}
    errors: list[dict[str, Any]] = []
    for shard in plan.shards:
        document = documents.get(shard.index)
        summary = by_index.get(shard.index, ShardSummary(index=shard.index, status="lost"))
        reported = {str(s.get("nodeid")): s for s in (document or {}).get("scenarios") or ()}
        why = _why_lost(summary, document)
        if document is None:
            errors.append({"phase": "shard", "message": why})
        for planned in shard.specs:
            for scenario in planned.scenarios:
                found = reported.pop(scenario.nodeid, None)
                if found is not None and (summary.status != "lost" or found.get("status") in RAN):
                    scenarios.append({**found, "shard": shard.index})
                    continue
                scenarios.append(
                    {
                        "nodeid": scenario.nodeid,
                        "id": stable_id(planned.spec, scenario.scenario),
                        "spec": planned.spec,
                        "scenario": scenario.scenario,
                        "line": max(1, scenario.line),
                        "tags": list(scenario.tags),
                        "status": "error",
                        "duration_s": 0.0,
                        "message": _message(shard.index, summary, document, found),
                        "category": HARNESS,
                        "category_rule": LOST_RULE,
                        "category_evidence": summary.reason or summary.message or "no results",
                        "shard": shard.index,
                    }
                )
        scenarios += [{**extra, "shard": shard.index} for extra in reported.values()]  # not in the plan
        per_shard[shard.index] = sum(1 for s in scenarios if s["shard"] == shard.index)
        errors += [
            {**e, "message": f"shard {shard.index}: {e.get('message', '')}"} for e in _errors(document)
        ]
    started, finished = _window(documents.values(), now)
    statuses = [str(d.get("status", "error")) for d in documents.values()]
    base = base or {}
    scenarios = _after_a_failed_install(scenarios, base)
    verdict = _verdict(scenarios, errors, base, interrupted="interrupted" in statuses)
    merged: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": new_run_id(started, suffix=hashlib.sha256(job.encode()).hexdigest()[:6]),
        "label": base.get("label", ""),
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "duration_s": max(0.0, round((finished - started).total_seconds(), 3)),
        "status": verdict.status,
        "exit_code": verdict.exit_code,
        "verdict": verdict.to_json(),
        "emulated": bool(base.get("emulated", False)),
        "settings": {k: v for k, v in (base.get("settings") or {}).items() if k not in ("shard", "shards")},
        "cluster": base.get("cluster") or {"kind": "none"},
        "components": base.get("components") or [],
        "deploy": base.get("deploy") or {"status": "not-run"},
        "scenarios": scenarios,
        "counts": _counts(scenarios),
        "errors": errors,
        "shards": {
            "count": plan.count,
            "job": job,
            "plan": plan.to_json(),
            "summaries": [
                by_index.get(s.index, ShardSummary(index=s.index, status="lost")).to_json(
                    scenarios=per_shard.get(s.index, 0),
                    run_status=str(documents[s.index].get("status")) if s.index in documents else None,
                )
                for s in plan.shards
            ],
        },
    }
    if "plugin_version" in base:
        merged["plugin_version"] = base["plugin_version"]
    labels = {str(e["category"]): e for e in base.get("category_labels") or () if "category" in e}
    merged["categories"] = _categories(scenarios, labels)
    if labels or HARNESS in {c["category"] for c in merged["categories"]}:
        merged["category_labels"] = list(labels.values()) or [{"category": HARNESS, "label": HARNESS}]
    return merged


def _verdict(
    scenarios: Sequence[Mapping[str, Any]],
    errors: Sequence[Mapping[str, Any]],
    base: Mapping[str, Any],
    *,
    interrupted: bool,
) -> Verdict:
    """The one verdict of the merged run, decided as a single session decides it (report/verdict.py).

    A lost shard is not a precondition error: its scenarios are harness errors, so the run is
    `incomplete` (exit 1 whatever --fail-on says), not `error`; a shard's own build or deploy error keeps
    its phase.
    """
    records = [ScenarioRecord.from_json(s) for s in scenarios]
    fail_on = tuple(str(v) for v in (base.get("settings") or {}).get("fail_on") or ("all",))
    known = {stable_id(r.spec, r.scenario) for r in records if r.category and r.category.known_issue}
    state = RunState(
        fail_on=fail_on,
        known=known,
        errors=tuple(
            RunError(phase=str(e.get("phase", "")), message=str(e.get("message", "")))
            for e in errors
            if e.get("phase") != "shard"
        ),
        interrupted=interrupted,
    )
    return decide(records, state)


def _after_a_failed_install(scenarios: list[dict[str, Any]], base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each shard judged only its own scenarios: one whose install scenario ran in another shard's pod
    could not know it failed (report/failed_install.py decides it again on the merged run)."""
    records = {str(s["nodeid"]): ScenarioRecord.from_json(s) for s in scenarios}
    lifecycle = (base.get("settings") or {}).get("lifecycle_scenarios")
    moved = set(refile_after_failed_install(records, install_ran_first=lifecycle != "run"))
    return [_refiled(s, records[str(s["nodeid"])]) if s["nodeid"] in moved else s for s in scenarios]


def _refiled(scenario: dict[str, Any], record: ScenarioRecord) -> dict[str, Any]:
    cat = record.category
    if cat is None:
        return scenario
    return {
        **scenario,
        "category": cat.category,
        "category_rule": cat.rule,
        "category_evidence": cat.evidence,
        "category_field": cat.field,
    }


def _message(
    index: int, summary: ShardSummary, document: Mapping[str, Any] | None, found: Mapping[str, Any] | None
) -> str:
    why = _why_lost(summary, document)
    if document is None:
        return why
    if found is not None:
        return f"shard {index} ended before this scenario finished ({found.get('status')}); {why}"
    return f"shard {index} did not report it; {why}"


def _why_lost(summary: ShardSummary, document: Mapping[str, Any] | None) -> str:
    if document is not None:
        return f"shard {summary.index} (pod {summary.pod or 'none'}) ended {summary.reason or summary.phase}"
    return (
        summary.message or f"shard {summary.index} lost: pod {summary.pod or 'none'} {summary.reason}".strip()
    )


def _errors(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [e for e in (document or {}).get("errors") or () if isinstance(e, Mapping)]


def _counts(scenarios: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    statuses = Counter(str(s.get("status")) for s in scenarios)
    return {
        "total": len(scenarios),
        "passed": statuses["passed"],
        "failed": statuses["failed"],
        "error": statuses["error"],
        "skipped": statuses["skipped"],
        "flaky": sum(1 for s in scenarios if s.get("flaky")),
    }


def _categories(
    scenarios: Sequence[Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    by_category: dict[str, list[str]] = {}
    for scenario in scenarios:
        if scenario.get("category") and scenario.get("status") in ("failed", "error"):
            by_category.setdefault(str(scenario["category"]), []).append(str(scenario["nodeid"]))
    counts = {category: len(ids) for category, ids in by_category.items()}
    return [
        {
            "category": category,
            "label": str(labels.get(category, {}).get("label", category)),
            **({"color": labels[category]["color"]} if "color" in labels.get(category, {}) else {}),
            "count": counts[category],
            "scenarios": by_category[category],
        }
        for category in category_order(counts)
    ]


def _window(documents: Iterable[Mapping[str, Any]], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for document in documents:
        for key, into in (("started_at", starts), ("finished_at", ends)):
            value = document.get(key)
            if isinstance(value, str):
                try:
                    into.append(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
                except ValueError:
                    continue
    return (min(starts) if starts else now), (max(ends) if ends else now)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
