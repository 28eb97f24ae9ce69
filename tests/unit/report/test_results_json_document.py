"""report/results_json.py and report/summary.py: the document, its schema, the atomic write, the summary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    BuiltImage,
    Categorization,
    ClusterInfo,
    ComponentName,
    ComponentRequest,
    Deployment,
    DeployStatus,
    FailingStep,
    ImageRef,
    ResultSource,
    RunningImage,
    SourceCommit,
    Status,
)
from pytest_streamstress.report.results_json import (
    RunError,
    RunFacts,
    ScenarioRecord,
    build_document,
    category_order,
    is_gating,
    load_schema,
    new_run_id,
    write_atomically,
)
from pytest_streamstress.report.summary import summary_lines

START = dt.datetime(2026, 6, 29, 10, 16, 40, tzinfo=dt.timezone.utc)
LABELS = {
    "upstream-regression": "Upstream Regression",
    "config-gap": "Config Gap",
    "missing-component": "Missing Component",
}


def record(nodeid: str, status: Status, category: str | None = None, **extra: object) -> ScenarioRecord:
    cat = (
        Categorization(
            category=category,
            rule="default" if category == "upstream-regression" else "r1",
            evidence="secret not found" if category == "config-gap" else "",
            field="message",
        )
        if category
        else None
    )
    return ScenarioRecord(
        nodeid=nodeid,
        spec="specs/pipelines/fail.spec",
        scenario=nodeid.rsplit("::", maxsplit=1)[-1],
        line=9,
        tags=("e2e",),
        status=status,
        category=cat,
        **extra,  # type: ignore[arg-type]
    )


def facts(**extra: object) -> RunFacts:
    values: dict[str, object] = {
        "run_id": new_run_id(START, "1a2b3c"),
        "started_at": START,
        "finished_at": START + dt.timedelta(seconds=95),
        "status": "failed",
        "exit_code": 1,
    }
    values.update(extra)
    return RunFacts(**values)  # type: ignore[arg-type]


def test_run_id_is_sortable_time_plus_six_hex() -> None:
    assert new_run_id(START, "abcdef") == "run-20260629T101640Z-abcdef"
    assert len(new_run_id(START).rsplit("-", 1)[1]) == 6


def test_document_with_every_kind_of_record_validates_against_the_shipped_schema() -> None:
    records = [
        record("specs/a.spec::ok", Status.PASSED, source=ResultSource.JUNIT, duration_s=1.5),
        record("specs/a.spec::flaky", Status.PASSED, attempts=2, flaky=True),
        record(
            "specs/a.spec::broken",
            Status.FAILED,
            "upstream-regression",
            failing_step=FailingStep(text="Create", line=42),
            message="boom",
            trace="x.go:1",
        ),
        record(
            "specs/a.spec::conceptual",
            Status.FAILED,
            "config-gap",
            failing_step=FailingStep(text="Create", line=None),
        ),
        record("specs/a.spec::timeout", Status.ERROR, "upstream-regression", message="gauge timed out"),
        record("specs/a.spec::known-bug", Status.SKIPPED, message="[SKIPPED] [KNOWN BUG: X]"),
    ]
    build = BuildResult(
        component=ComponentName("pipeline"),
        repo="https://github.com/tektoncd/pipeline",
        status=BuildStatus.BUILT,
        source=SourceCommit(sha="abc123", date="2026-06-29T00:00:00Z", subject="fix"),
        images=(
            BuiltImage(
                name="pipeline-controller",
                ref=ImageRef("reg/ns/c@sha256:00"),
                env_vars=("IMAGE_PIPELINES_CONTROLLER",),
            ),
        ),
    )
    deployment = Deployment(
        status=DeployStatus.DEPLOYED,
        strategy="csv",
        cluster=ClusterInfo(kind="emulated", server="https://127.0.0.1:1", openshift_version="4.16"),
        running=(
            RunningImage(
                component=ComponentName("pipeline"),
                env_var="IMAGE_PIPELINES_CONTROLLER",
                expected=ImageRef("reg/ns/c@sha256:00"),
                actual="reg/ns/c@sha256:00",
                where="Deployment/tekton-pipelines-controller container c",
            ),
        ),
    )
    document = build_document(
        facts(
            builds=(build,),
            deployment=deployment,
            requests=(ComponentRequest(name=ComponentName("pipeline"), ref="v0.62.0"),),
            errors=(RunError(phase="collection", message="specs/x.spec:3: bad"),),
        ),
        records,
        labels=LABELS,
    )
    jsonschema.validate(document, load_schema())
    assert document["counts"] == {"total": 6, "passed": 2, "failed": 2, "error": 1, "skipped": 1, "flaky": 1}
    assert document["emulated"] is True
    assert document["components"][0]["ref"] == "v0.62.0"
    assert document["components"][0]["images"][0]["running"] == "reg/ns/c@sha256:00"
    assert document["scenarios"][2]["failing_step"] == {"text": "Create", "line": 42}
    assert document["scenarios"][1]["retries"] == 1


def test_document_without_phases_says_deploy_not_run_and_cluster_none() -> None:
    document = build_document(facts(), [], labels=LABELS)
    jsonschema.validate(document, load_schema())
    assert document["deploy"]["status"] == "not-run"
    assert document["cluster"] == {
        "name": "",
        "kind": "none",
        "server": "",
        "openshift_version": "",
        "operator_csv": "",
        "operator_version": "",
    }


def test_the_cluster_name_names_the_run_for_the_history_and_the_dashboard() -> None:
    document = build_document(dataclasses.replace(facts(), cluster_name="ocp-4-16"), [], labels=LABELS)
    jsonschema.validate(document, load_schema())
    assert document["cluster"]["name"] == "ocp-4-16"


def test_categories_are_largest_first_with_upstream_regression_first_on_ties() -> None:
    assert category_order({"config-gap": 2, "upstream-regression": 2, "missing-component": 3}) == [
        "missing-component",
        "upstream-regression",
        "config-gap",
    ]


def test_document_categories_list_failed_scenarios_by_category() -> None:
    records = [
        record("a::1", Status.FAILED, "config-gap"),
        record("a::2", Status.FAILED, "upstream-regression"),
    ]
    document = build_document(facts(), records, labels=LABELS)
    assert document["categories"] == [
        {
            "category": "upstream-regression",
            "label": "Upstream Regression",
            "count": 1,
            "scenarios": ["a::2"],
        },
        {"category": "config-gap", "label": "Config Gap", "count": 1, "scenarios": ["a::1"]},
    ]


def test_secret_in_message_and_trace_is_masked_and_the_rest_stays() -> None:
    token = "sha256~s3cr3tT0kenValue"
    records = [
        record(
            "a::1",
            Status.FAILED,
            "upstream-regression",
            message=f"login with {token} failed",
            trace=f"Authorization: Bearer {token}",
        )
    ]
    document = build_document(facts(), records, labels=LABELS, redactor=Redactor([token]))
    assert document["scenarios"][0]["message"] == "login with *** failed"
    assert token not in json.dumps(document)


def test_record_survives_the_json_wire_unchanged() -> None:
    original = record(
        "specs/a.spec::x",
        Status.FAILED,
        "config-gap",
        failing_step=FailingStep(text="Create", line=4),
        attempts=3,
        source=ResultSource.STDOUT,
        log_path="/r/logs/a.log",
    )
    assert ScenarioRecord.from_json(json.loads(json.dumps(original.to_json()))) == original


@pytest.mark.parametrize(
    ("fail_on", "category", "gating"),
    [
        (("all",), "config-gap", True),
        (("none",), "upstream-regression", False),
        (("upstream-regression",), "config-gap", False),
        (("upstream-regression",), "upstream-regression", True),
        (("upstream-regression",), None, True),
    ],
    ids=["all", "none", "outside", "inside", "uncategorized-error-gates"],
)
def test_fail_on_decides_which_failures_gate(
    fail_on: tuple[str, ...], category: str | None, gating: bool
) -> None:
    assert (
        is_gating(record("a::1", Status.ERROR if category is None else Status.FAILED, category), fail_on)
        is gating
    )


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "results" / "results.json"
    write_atomically(target, {"a": 1})
    write_atomically(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_summary_lists_upstream_regressions_first_with_step_and_evidence() -> None:
    records = [
        record("specs/a.spec::gap", Status.FAILED, "config-gap", message="secret not found"),
        record(
            "specs/a.spec::reg",
            Status.FAILED,
            "upstream-regression",
            failing_step=FailingStep(text="Create", line=42),
            message="boom\nmore",
        ),
    ]
    lines = summary_lines(records, labels=LABELS, fail_on=("all",), results_path=Path("/r/results.json"))
    text = "\n".join(lines)
    assert "failures by category: 1 Upstream Regression, 1 Config Gap" in text
    assert text.index("specs/a.spec::reg") < text.index("specs/a.spec::gap")
    assert "step 'Create' at specs/pipelines/fail.spec:42" in text
    assert "rule 'r1' matched message 'secret not found'" in text
    assert lines[-1] == "results: /r/results.json"


def test_summary_counts_failures_outside_fail_on() -> None:
    records = [record("a::1", Status.FAILED, "config-gap"), record("a::2", Status.FAILED, "config-gap")]
    lines = summary_lines(
        records, labels=LABELS, fail_on=("upstream-regression",), results_path=None, verbosity=-1
    )
    assert "2 failures outside --fail-on upstream-regression: they do not fail the session" in lines
    assert not any("other failures" in line for line in lines)
