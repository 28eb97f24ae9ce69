"""Shards' results.json documents merged into one run (report/shard_merge.py, issue 23)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema

from pytest_streamstress.profile.shards import PlannedScenario, PlannedSpec, ShardPlan, plan_shards
from pytest_streamstress.report.results_json import load_schema
from pytest_streamstress.report.shard_merge import ShardSummary, merge_shards

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.timezone.utc)


def _plan() -> ShardPlan:
    def spec(name: str, scenarios: int) -> PlannedSpec:
        return PlannedSpec(
            spec=f"specs/{name}.spec",
            scenarios=tuple(
                PlannedScenario(nodeid=f"specs/{name}.spec::{name}{i}", scenario=f"{name}{i}", line=3 + i)
                for i in range(scenarios)
            ),
        )

    return plan_shards([spec("a", 2), spec("b", 1), spec("c", 1)], count=2)


def _document(plan: ShardPlan, index: int, *, status: str = "passed", drop: int = 0) -> dict[str, Any]:
    shard = plan.shards[index]
    scenarios = [
        {
            "nodeid": s.nodeid,
            "spec": spec.spec,
            "scenario": s.scenario,
            "line": s.line,
            "tags": [],
            "status": "passed",
            "duration_s": 1.5,
            "shard": index,
        }
        for spec in shard.specs
        for s in spec.scenarios
    ]
    return {
        "schema_version": 1,
        "run_id": f"run-20261206T0{index}0000Z-00000{index}",
        "label": "nightly",
        "started_at": f"2026-12-06T0{7 + index}:00:00Z",
        "finished_at": f"2026-12-06T0{7 + index}:30:00Z",
        "status": status,
        "emulated": True,
        "settings": {"gauge_tags": "e2e", "shard": [index, 2]},
        "cluster": {"kind": "emulated"},
        "components": [],
        "deploy": {"status": "skipped"},
        "scenarios": scenarios[: len(scenarios) - drop],
        "counts": {"total": 0, "passed": 0, "failed": 0, "error": 0, "skipped": 0, "flaky": 0},
        "categories": [],
        "category_labels": [{"category": "harness", "label": "Harness"}],
        "errors": [],
        "shards": {"index": index, "count": 2, "plan": plan.to_json()},
    }


def _summary(index: int, status: str = "finished", reason: str = "Completed", **extra: Any) -> ShardSummary:
    return ShardSummary(
        index=index, status=status, pod=f"job-{index}-x", node=f"worker-{index}", reason=reason, **extra
    )


def test_two_finished_shards_make_one_run_with_every_scenario_once_and_its_shard() -> None:
    plan = _plan()

    merged = merge_shards(
        plan,
        {0: _document(plan, 0), 1: _document(plan, 1)},
        [_summary(0), _summary(1)],
        job="ns/job",
        now=NOW,
    )

    jsonschema.validate(merged, load_schema())
    assert sorted(s["nodeid"] for s in merged["scenarios"]) == sorted(
        s.nodeid for shard in plan.shards for spec in shard.specs for s in spec.scenarios
    )
    assert {s["shard"] for s in merged["scenarios"]} == {0, 1}
    assert (merged["status"], merged["exit_code"], merged["verdict"]["status"]) == ("passed", 0, "passed")
    assert merged["counts"]["total"] == merged["counts"]["passed"] == 4
    assert (merged["started_at"], merged["finished_at"]) == ("2026-12-06T07:00:00Z", "2026-12-06T08:30:00Z")
    assert [s["node"] for s in merged["shards"]["summaries"]] == ["worker-0", "worker-1"]
    assert "shard" not in merged["settings"]


def test_the_merged_run_id_is_one_and_the_same_each_time_the_job_is_collected() -> None:
    plan = _plan()
    documents = {0: _document(plan, 0), 1: _document(plan, 1)}

    first = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/job", now=NOW)
    again = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/job", now=NOW)
    other = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/other", now=NOW)

    assert first["run_id"] == again["run_id"] != other["run_id"]


def test_a_lost_shard_makes_its_scenarios_harness_errors_with_the_pods_reason_and_keeps_the_others() -> None:
    plan = _plan()
    lost = _summary(
        0, status="lost", reason="OOMKilled", exit_code=137, message="shard 0 lost: pod job-0-x OOMKilled"
    )

    merged = merge_shards(plan, {1: _document(plan, 1)}, [lost, _summary(1)], job="ns/job", now=NOW)

    jsonschema.validate(merged, load_schema())
    by_shard = {i: [s for s in merged["scenarios"] if s["shard"] == i] for i in (0, 1)}
    assert by_shard[0] and all(s["status"] == "error" and s["category"] == "harness" for s in by_shard[0])
    assert all("OOMKilled" in s["message"] and s["category_evidence"] == "OOMKilled" for s in by_shard[0])
    assert by_shard[1] and all(s["status"] == "passed" for s in by_shard[1])
    assert (merged["status"], merged["exit_code"]) == ("incomplete", 1)  # a lost shard is no verdict
    assert merged["verdict"]["sentence"].startswith("INCOMPLETE: gauge broke")
    assert merged["verdict"]["harness"] == len(by_shard[0])
    assert merged["categories"][0]["category"] == "harness"
    assert merged["categories"][0]["count"] == len(by_shard[0])
    assert merged["shards"]["summaries"][0]["status"] == "lost"
    assert any("OOMKilled" in e["message"] for e in merged["errors"])


def test_a_scenario_a_finished_shard_did_not_report_is_still_in_the_run_as_a_harness_error() -> None:
    plan = _plan()
    index = next(s.index for s in plan.shards if s.scenarios > 1)
    documents = {i: _document(plan, i, drop=1 if i == index else 0) for i in (0, 1)}

    merged = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/job", now=NOW)

    missing = [s for s in merged["scenarios"] if s["status"] == "error"]
    assert len(missing) == 1 and missing[0]["shard"] == index
    assert f"shard {index} did not report it" in missing[0]["message"]
    assert merged["counts"]["total"] == 4


def test_the_merged_verdict_applies_the_shards_fail_on_to_the_merged_failures() -> None:
    """One sentence and exit code for the whole run, as a single session would decide them."""
    plan = _plan()
    documents = {i: _document(plan, i) for i in (0, 1)}
    failing = documents[1]["scenarios"][0]
    failing.update(status="failed", message="boom", category="config-gap", category_rule="secret-missing")

    gated = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/job", now=NOW)
    for document in documents.values():
        document["settings"]["fail_on"] = ["upstream-regression"]
    excused = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/job", now=NOW)

    jsonschema.validate(gated, load_schema())
    assert (gated["status"], gated["exit_code"], gated["verdict"]["gating"]) == ("failed", 1, 1)
    assert (excused["status"], excused["exit_code"], excused["verdict"]["excused"]) == ("passed", 0, 1)
    assert excused["verdict"]["sentence"] == (
        "PASSED: 1 failure, none gates the job (--fail-on upstream-regression); exit 0"
    )


def test_a_failure_after_another_shard_s_failed_install_scenario_is_unattributed_in_the_merged_run() -> None:
    """Each shard judged only its own scenarios: shard 0 could not know that the install scenario,
    in shard 1's pod, failed before its scenario ran (report/failed_install.py)."""
    plan = _plan()
    documents = {i: _document(plan, i) for i in (0, 1)}
    for document in documents.values():
        document["settings"]["fail_on"] = ["upstream-regression"]
    install = documents[1]["scenarios"][0]
    install.update(
        tags=["install", "admin"],
        status="failed",
        message="deployment tekton-hub-api not available after 5m0s",
        failing_step={"text": "Validate hub deployment", "line": 9},
        category="upstream-regression",
        category_rule="default",
        started_at="2026-12-06T07:00:00Z",
        finished_at="2026-12-06T07:05:00Z",
    )
    later = documents[0]["scenarios"][0]
    later.update(
        status="failed",
        message="GET https://tekton-hub-api/v1/query returned 503",
        category="upstream-regression",
        category_rule="default",
        started_at="2026-12-06T07:05:02Z",
        finished_at="2026-12-06T07:06:00Z",
    )

    merged = merge_shards(plan, documents, [_summary(0), _summary(1)], job="ns/job", now=NOW)

    jsonschema.validate(merged, load_schema())
    by_id = {s["nodeid"]: s for s in merged["scenarios"]}
    refiled = by_id[later["nodeid"]]
    assert (refiled["category"], refiled["category_rule"], refiled["shard"]) == (
        "unattributed",
        "after-failed-install",
        0,
    )
    assert refiled["category_evidence"].startswith(f"the install scenario '{install['scenario']}'")
    assert by_id[install["nodeid"]]["category"] == "upstream-regression", "the install keeps its own"
    assert merged["verdict"]["gating"] == 1
    assert {c["category"]: c["count"] for c in merged["categories"]} == {
        "upstream-regression": 1,
        "unattributed": 1,
    }
