"""results.json: the one document a run leaves behind (schema `report/results.schema.json`, R38).

Owns the per-scenario record (`ScenarioRecord`, which also travels from xdist workers to the
controller as one JSON string in `report.user_properties`, R27), the pure function that turns
records and run facts into the document, and the atomic write (temporary file in the same folder,
then `os.replace`). It must not read pytest state, run anything or decide categories: the
`Recorder` collects the facts and calls in here. Every message and trace goes through the session's
`Redactor` on the way in, so no token reaches the file (R25).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra import files as _files
from pytest_streamstress._infra.redact import NO_REDACTION, Redactor
from pytest_streamstress.history.model import scenario_identity
from pytest_streamstress.model import (
    BuildResult,
    Categorization,
    ClusterInfo,
    ComponentRequest,
    Confirmation,
    Deployment,
    FailingStep,
    Restore,
    ResultSource,
    RunStatus,
    Status,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
SCHEMA_FILE: Final = Path(__file__).with_name("results.schema.json")
UPSTREAM_REGRESSION: Final = "upstream-regression"


def new_run_id(now: dt.datetime, suffix: str | None = None) -> str:
    """`run-20260629T101640Z-1a2b3c`: sortable by time, unique by a random suffix."""
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"run-{stamp}-{suffix if suffix is not None else secrets.token_hex(3)}"


def iso(when: dt.datetime | float | None, *, milliseconds: bool = False) -> str | None:
    """UTC ISO-8601 with a `Z`, from a datetime or an epoch float.

    Run stamps are whole seconds (`…T10:16:40Z`); a scenario's are `milliseconds` (`…T10:16:40.123Z`),
    the resolution gauge reports its time in. Readers take both (`datetime.fromisoformat`).
    """
    if when is None:
        return None
    if isinstance(when, float | int):
        when = dt.datetime.fromtimestamp(when, tz=dt.timezone.utc)
    spec = "milliseconds" if milliseconds else "seconds"
    return when.astimezone(dt.timezone.utc).isoformat(timespec=spec).replace("+00:00", "Z")


def epoch(text: str | None) -> float | None:
    """The inverse of `iso`: epoch seconds of a results.json stamp; None for none."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def stable_id(spec: str, heading: str) -> str:
    """Identity across runs: spec path + the test-case id (`PIPELINES-03-TC01`) when the heading has one.

    One rule for the writer, the history store and the analysis: `history.model` owns it (history/ is
    below report/, so the store reads it without importing the writer).
    """
    return scenario_identity(spec, heading)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioRecord:
    """Everything results.json says about one scenario item."""

    nodeid: str
    spec: str
    """Spec path relative to the release-tests root."""
    scenario: str
    line: int
    tags: tuple[str, ...]
    status: Status
    duration_s: float = 0.0
    spec_heading: str = ""
    failing_step: FailingStep | None = None
    message: str = ""
    trace: str = ""
    category: Categorization | None = None
    attempts: int = 1
    flaky: bool = False
    source: ResultSource = ResultSource.NONE
    log_path: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    namespaces: tuple[str, ...] = ()
    local_cpu_s: float | None = None
    local_peak_rss_b: int | None = None
    confirmation: Confirmation | None = None
    """What `--confirm` proved, for a failure it looked at."""

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)

    def to_json(self, redactor: Redactor = NO_REDACTION) -> dict[str, Any]:
        """The record as results.json's `scenarios[]` entry (also the xdist wire format)."""
        cat = self.category
        return {
            "nodeid": self.nodeid,
            "id": stable_id(self.spec, self.scenario),
            "spec": self.spec,
            "spec_heading": self.spec_heading,
            "scenario": self.scenario,
            "line": self.line,
            "tags": list(self.tags),
            "status": self.status.value,
            "duration_s": max(0.0, round(self.duration_s, 3)),
            "failing_step": None
            if self.failing_step is None
            else {"text": redactor(self.failing_step.text), "line": self.failing_step.line},
            "message": redactor(self.message),
            "trace": redactor(self.trace),
            "category": cat.category if cat else None,
            "category_rule": cat.rule if cat else None,
            "category_evidence": redactor(cat.evidence) if cat else None,
            "category_field": cat.field if cat else None,
            "known_issue": (cat.known_issue or None) if cat else None,
            "attempts": self.attempts,
            "retries": self.retries,
            "flaky": self.flaky,
            "source": self.source.value,
            "log_path": self.log_path,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "namespaces": list(self.namespaces),
            "local_profile": None
            if self.local_cpu_s is None
            else {"cpu_s": round(self.local_cpu_s, 3), "peak_rss_b": self.local_peak_rss_b or 0},
            "confirmation": None if self.confirmation is None else _redacted(self.confirmation, redactor),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScenarioRecord:
        """Back from the wire (R11: the dict stops at this edge)."""
        step = data.get("failing_step")
        category = None
        if data.get("category"):
            category = Categorization(
                category=str(data["category"]),
                rule=str(data.get("category_rule") or ""),
                evidence=str(data.get("category_evidence") or ""),
                field=str(data.get("category_field") or ""),
                known_issue=str(data.get("known_issue") or ""),
            )
        return cls(
            nodeid=str(data["nodeid"]),
            spec=str(data["spec"]),
            spec_heading=str(data.get("spec_heading", "")),
            scenario=str(data["scenario"]),
            line=int(data["line"]),
            tags=tuple(str(t) for t in data.get("tags", ())),
            status=Status(data["status"]),
            duration_s=float(data.get("duration_s", 0.0)),
            failing_step=None if not step else FailingStep(text=str(step["text"]), line=step.get("line")),
            message=str(data.get("message", "")),
            trace=str(data.get("trace", "")),
            category=category,
            attempts=int(data.get("attempts", 1)),
            flaky=bool(data.get("flaky", False)),
            source=ResultSource(data.get("source", "none")),
            log_path=data.get("log_path"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            namespaces=tuple(data.get("namespaces") or ()),
            local_cpu_s=(data.get("local_profile") or {}).get("cpu_s"),
            local_peak_rss_b=(data.get("local_profile") or {}).get("peak_rss_b"),
            confirmation=Confirmation.from_json(data["confirmation"]) if data.get("confirmation") else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RunError:
    """A problem outside scenarios: build, deploy, collection, gauge, report."""

    phase: str
    message: str
    component: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFacts:
    """What the Recorder knows about the run as a whole."""

    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime
    status: RunStatus
    """Decided by `report.verdict.decide`."""
    exit_code: int | None = None
    label: str = ""
    plugin_version: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    requests: tuple[ComponentRequest, ...] = ()
    builds: tuple[BuildResult, ...] = ()
    deployment: Deployment | None = None
    errors: tuple[RunError, ...] = ()
    verdict: Mapping[str, Any] | None = None
    """`report.verdict.Verdict.to_json()`: the one decision the summary, JUnit and the exit code read."""
    signal: str = ""
    """The signal that stopped the run (SIGINT, SIGTERM, SIGHUP); "" when none did."""
    cluster: ClusterInfo | None = None
    """The cluster as the session knew it: used when the deployment did not say (it failed or never ran)."""
    cluster_name: str = ""
    """`--cluster-name` (set per cluster by `--clusters`, issue 23): the dimension the history and the
    dashboard group runs by; "" for a run that names no cluster."""


CONFIRMED: Final = "confirmed"
"""`--fail-on confirmed`: only the upstream regressions `--confirm` proved gate the session."""
EXCLUDE_KNOWN: Final = "-known"
"""`--fail-on ...,-known`: failures matched by a (not expired) known-failures entry do not gate."""


def is_gating(record: ScenarioRecord, fail_on: Sequence[str], known: Collection[str] = ()) -> bool:
    """Does this record make the session fail under `--fail-on`? Uncategorized errors (build, deploy)
    gate unless `none`: they are not scenario failures a category could excuse. `known` holds the
    identities of failures a known-failures entry covers; they gate unless `-known` is given."""
    if record.status not in {Status.FAILED, Status.ERROR}:
        return False
    if "none" in fail_on:
        return False
    if (
        EXCLUDE_KNOWN in fail_on
        and record.category is not None
        and stable_id(record.spec, record.scenario) in known
    ):
        return False
    categories = [value for value in fail_on if value != EXCLUDE_KNOWN]
    if not categories or "all" in categories or record.category is None:
        return True
    if CONFIRMED in categories and _is_confirmed(record):
        return True
    return record.category.category in categories


def _is_confirmed(record: ScenarioRecord) -> bool:
    return (
        record.category is not None
        and record.category.category == UPSTREAM_REGRESSION
        and record.confirmation is not None
        and record.confirmation.verdict == "confirmed"
    )


def _redacted(confirmation: Confirmation, redactor: Redactor) -> dict[str, object]:
    data = confirmation.to_json()
    data["reason"] = redactor(confirmation.reason)
    for attempt in data["attempts"]:  # type: ignore[attr-defined]  # a list of dicts, built just above
        attempt["message"] = redactor(attempt["message"])
    return data


def category_order(counts: Mapping[str, int]) -> list[str]:
    """Largest first; upstream-regression first on ties (it is what the run exists to find)."""
    return sorted(counts, key=lambda cat: (-counts[cat], cat != UPSTREAM_REGRESSION, cat))


def build_document(
    facts: RunFacts,
    records: Sequence[ScenarioRecord],
    *,
    labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    redactor: Redactor = NO_REDACTION,
) -> dict[str, Any]:
    """The whole results.json document; validates against SCHEMA_FILE."""
    labels = labels or {}
    colors = colors or {}
    deployment = facts.deployment
    cluster = deployment.cluster if deployment is not None else ClusterInfo(kind="none")
    if cluster.kind == "none" and facts.cluster is not None:
        cluster = facts.cluster
    statuses = Counter(record.status for record in records)
    by_category: dict[str, list[str]] = {}
    for record in records:
        if record.category is not None and record.status in {Status.FAILED, Status.ERROR}:
            by_category.setdefault(record.category.category, []).append(record.nodeid)
    counts = {cat: len(ids) for cat, ids in by_category.items()}
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": facts.run_id,
        "label": facts.label,
        "started_at": iso(facts.started_at),
        "finished_at": iso(facts.finished_at),
        "duration_s": max(0.0, round((facts.finished_at - facts.started_at).total_seconds(), 3)),
        "status": facts.status,
        "exit_code": facts.exit_code,
        "emulated": cluster.is_emulated,
        "plugin_version": facts.plugin_version,
        "settings": dict(facts.settings),
        "cluster": {
            "name": facts.cluster_name,
            "kind": cluster.kind,
            "server": cluster.server,
            "openshift_version": cluster.openshift_version,
            "operator_csv": cluster.operator_csv,
            "operator_version": cluster.operator_version,
        },
        "components": [_component(build, facts.requests, deployment, redactor) for build in facts.builds],
        "deploy": {
            "status": deployment.status.value if deployment is not None else "not-run",
            "strategy": deployment.strategy if deployment is not None else "",
            "message": redactor(deployment.message) if deployment is not None else "",
        },
        "scenarios": [record.to_json(redactor) for record in records],
        "counts": {
            "total": len(records),
            "passed": statuses[Status.PASSED],
            "failed": statuses[Status.FAILED],
            "error": statuses[Status.ERROR],
            "skipped": statuses[Status.SKIPPED],
            "flaky": sum(1 for record in records if record.flaky),
        },
        "categories": [
            {
                "category": cat,
                "label": labels.get(cat, cat),
                **({"color": colors[cat]} if cat in colors else {}),
                "count": counts[cat],
                "scenarios": by_category[cat],
            }
            for cat in category_order(counts)
        ],
        "category_labels": [
            {"category": cat, "label": label, **({"color": colors[cat]} if cat in colors else {})}
            for cat, label in labels.items()
        ],
        "errors": [_error(error, redactor) for error in facts.errors],
    }
    if facts.verdict is not None:
        document["verdict"] = {**facts.verdict, "sentence": redactor(str(facts.verdict.get("sentence", "")))}
    if facts.signal:
        document["signal"] = facts.signal
    return document


def components_list(
    builds: Sequence[BuildResult], requests: Sequence[ComponentRequest], redactor: Redactor
) -> list[dict[str, Any]]:
    """results.json's `components` for builds not deployed here (`--clusters` gives each cluster these)."""
    return [_component(build, requests, None, redactor) for build in builds]


def _component(
    build: BuildResult,
    requests: Sequence[ComponentRequest],
    deployment: Deployment | None,
    redactor: Redactor,
) -> dict[str, Any]:
    request = next((r for r in requests if r.name == build.component), None)
    running = {r.env_var: r.actual for r in deployment.running} if deployment is not None else {}
    return {
        "name": build.component,
        "repo": build.repo,
        "ref": None
        if request is None or (request.ref is None and request.pull_request is None)
        else str(request).partition(":")[2],
        "status": build.status.value,
        "commit": None
        if build.source is None
        else {"sha": build.source.sha, "date": build.source.date, "subject": build.source.subject},
        "images": [
            {
                "name": image.name,
                "ref": image.ref,
                "env_vars": list(image.env_vars),
                "running": next((running[v] for v in image.env_vars if v in running), None),
            }
            for image in build.images
        ],
        "error": redactor(build.error),
        "log_path": None if build.log_path is None else str(build.log_path),
        "duration_s": build.duration_s,
    }


def _error(error: RunError, redactor: Redactor) -> dict[str, Any]:
    entry: dict[str, Any] = {"phase": error.phase, "message": redactor(error.message)}
    if error.component:
        entry["component"] = error.component
    return entry


def restore_json(restore: Restore, redactor: Redactor = NO_REDACTION) -> dict[str, str]:
    """`deploy.restore`: set by the writer around `--restore`, which runs after the document is built."""
    return {"state": restore.state.value, "message": redactor(restore.message)}


def write_atomically(path: Path, document: Mapping[str, Any]) -> None:
    """results.json survives a crash right after it is written: fsync before the rename."""
    _files.write_json_atomically(path, document, fsync=True)
    log.debug("wrote %s", path)


def load_schema() -> dict[str, Any]:
    """The shipped JSON Schema (tests validate every document they produce against it)."""
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data
