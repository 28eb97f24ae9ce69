"""Allure results (`--allure-results=DIR`): a run as files Allure 3, Allure 2 and ReportPortal import.

Pure builders plus one writer (issue 20). One `<uuid>-result.json` per scenario, with the facts of
results.json: the status (a failed check is `failed`, a scenario that could not run `broken`), the
scenario's steps from its spec (`passed` before the failing step, `failed` at it, `skipped` after;
no durations are invented for them), gauge's real start and duration, the category, confirmation and
emulated flag as labels, the known issue as a link, and `historyId` = `testCaseId` = the scenario's
stable id (Allure 3 keys history on `testCaseId`, Allure 2 on `historyId`). Beside them
`categories.json` from the run's categories (Allure 2 and Allure 3's classic report match it by a
`streamstress-category: <id>` line at the end of the trace, the only thing that format can match),
`executor.json` and `environment.properties`.

It never reads pytest state and never decides a category: run/allure.py hands in the records, the
step outlines and the run's facts. The folder is written at session end, after the final verdicts,
so Allure says what results.json says; our earlier files in it are removed first (an earlier night's
results would become retries of tonight's tests).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra import files
from pytest_streamstress.model import HARNESS, Status
from pytest_streamstress.report.results_json import ScenarioRecord, stable_id

log = logging.getLogger(__name__)

NAMESPACE: Final = uuid.UUID("5d0e3e1e-7f7a-4c55-9a43-2f6b1c0e9a20")
"""Result uuids are uuid5(NAMESPACE, run id / scenario id): the same run writes the same files."""
TRACE_MARKER: Final = "streamstress-category: "
CATEGORY_LABEL: Final = "category"
SESSION_FILES: Final = ("categories.json", "executor.json", "environment.properties")
_OURS: Final = ("*-result.json", *SESSION_FILES)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepOutline:
    """A step of the scenario as its spec writes it; a concept carries its own steps."""

    text: str
    line: int | None = None
    steps: tuple[StepOutline, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AllureRun:
    """The run's facts the session-wide files carry."""

    run_id: str
    started_at: dt.datetime
    label: str = ""
    emulated: bool = False
    cluster: str = "none"
    server: str = ""
    openshift_version: str = ""
    operator_version: str = ""
    components: tuple[tuple[str, str], ...] = ()
    """(component, built commit)"""
    verdict: str = ""
    build_url: str = ""


def allure_status(record: ScenarioRecord) -> str:
    """Allure's meaning: `failed` = the product did not behave, `broken` = the test could not run."""
    if record.status is Status.PASSED:
        return "passed"
    if record.status is Status.SKIPPED:
        return "skipped"
    harness = record.category is not None and record.category.category == HARNESS
    return "failed" if record.status is Status.FAILED and not harness else "broken"


def step_results(outline: Sequence[StepOutline], record: ScenarioRecord, status: str) -> list[dict[str, Any]]:
    """The steps with their outcome: passed up to the failing one, then skipped (pure)."""
    marker = _StepMarker(record, status)
    steps = marker.walk(outline)
    if status in ("failed", "broken") and not marker.found:
        for step in steps:  # gauge named no step we know (a hook, a harness failure): no step is blamed
            _mark_unknown(step)
    return steps


class _StepMarker:
    """Walks a step outline once, in order, and marks where the failing step is."""

    def __init__(self, record: ScenarioRecord, status: str) -> None:
        self.failing = record.failing_step
        self.message = record.message
        self.status = status
        self.found = False

    def is_failing(self, step: StepOutline) -> bool:
        if self.failing is None or self.found:
            return False
        if self.failing.line is not None and step.line == self.failing.line:
            return True
        return step.text == self.failing.text

    def walk(self, steps: Sequence[StepOutline]) -> list[dict[str, Any]]:
        out = []
        for step in steps:
            before = self.found
            here = self.is_failing(step)
            children = self.walk(step.steps)
            self.found = self.found or here
            entry: dict[str, Any] = {"name": step.text, "stage": "finished", "steps": children}
            if self.status in ("passed", "skipped"):
                entry["status"] = self.status
            elif here or (not before and self.found):  # the failing step, or the concept holding it
                entry["status"] = self.status
                entry["statusDetails"] = {"message": self.message}
            else:
                entry["status"] = "skipped" if before else "passed"
            out.append(entry)
        return out


def _mark_unknown(step: dict[str, Any]) -> None:
    step["status"] = "unknown"
    for child in step["steps"]:
        _mark_unknown(child)


def result_of(
    record: ScenarioRecord,
    *,
    run: AllureRun,
    steps: Sequence[StepOutline] = (),
    known: bool = False,
) -> dict[str, Any]:
    """One scenario as an Allure `*-result.json` document (pure)."""
    identity = stable_id(record.spec, record.scenario)
    folder, _, spec_file = record.spec.rpartition("/")
    status = allure_status(record)
    start = _epoch_ms(record.started_at) or _epoch_ms(run.started_at)
    stop = start + round(max(0.0, record.duration_s) * 1000)
    category = record.category
    labels = [
        {"name": "parentSuite", "value": folder or "."},
        {"name": "suite", "value": spec_file},
        *({"name": "tag", "value": tag} for tag in record.tags),
        {"name": "host", "value": "emulated" if run.emulated else (run.server or run.cluster)},
        {"name": "framework", "value": "gauge"},
        {"name": "language", "value": "go"},
        {"name": "emulated", "value": "true" if run.emulated else "false"},
    ]
    details: dict[str, Any] = {}
    links = []
    if category is not None and status in ("failed", "broken"):
        labels.append({"name": CATEGORY_LABEL, "value": category.category})
        labels.append({"name": "rule", "value": category.rule})
        details["trace"] = (record.trace + "\n" if record.trace else "") + TRACE_MARKER + category.category
        if category.known_issue:
            issue = category.known_issue
            links.append({"type": "issue", "name": issue.rsplit("/", 1)[-1], "url": issue})
    if record.message:
        details["message"] = record.message
    if record.confirmation is not None:
        labels.append({"name": "confirmation", "value": record.confirmation.verdict})
    if record.flaky:
        details["flaky"] = True
    if known:
        details["known"] = True
    return {
        "uuid": str(uuid.uuid5(NAMESPACE, f"{run.run_id}/{identity}/{record.nodeid}")),
        "historyId": identity,
        "testCaseId": identity,
        "fullName": record.nodeid,
        "name": record.scenario,
        "titlePath": [folder or ".", spec_file],
        "description": f"{record.spec}:{record.line}",
        "status": status,
        "statusDetails": details,
        "stage": "finished",
        "start": start,
        "stop": stop,
        "labels": labels,
        "links": links,
        "parameters": [],
        "steps": step_results(steps, record, status),
    }


def categories_json(categories: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """One Allure category per ours, matched by the trace's marker line (`[\\s\\S]*` suits Java and JS)."""
    return [
        {
            "name": label,
            "matchedStatuses": ["failed", "broken"],
            "traceRegex": f"[\\s\\S]*{TRACE_MARKER}{category}[\\s\\S]*",
        }
        for category, label in categories
    ]


def executor_json(run: AllureRun) -> dict[str, Any]:
    executor: dict[str, Any] = {
        "name": "pytest-streamstress",
        "type": "pytest-streamstress",
        "buildName": f"{run.label} {run.run_id}".strip(),
        "reportName": "pytest-streamstress" + (" (emulated)" if run.emulated else ""),
    }
    if run.build_url:
        executor["buildUrl"] = run.build_url
    return executor


def environment_properties(run: AllureRun) -> str:
    """`key=value` lines (Java properties; the values here hold no characters that need escaping)."""
    pairs = [
        ("run_id", run.run_id),
        ("emulated", "true" if run.emulated else "false"),
        ("cluster", run.cluster),
        ("server", run.server),
        ("openshift_version", run.openshift_version),
        ("operator_version", run.operator_version),
        ("verdict", run.verdict),
        *((f"component.{name}", sha) for name, sha in run.components),
    ]
    return "".join(f"{key}={_property(value)}\n" for key, value in pairs if value)


def _property(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")


def _epoch_ms(moment: dt.datetime | str | None) -> int:
    if moment is None or moment == "":
        return 0
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return 0
    return round(moment.timestamp() * 1000)


def clean(directory: Path) -> int:
    """Remove the files an earlier run of ours left (results, session files); returns how many."""
    removed = 0
    for pattern in _OURS:
        for path in directory.glob(pattern):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def write_results(
    directory: Path,
    records: Sequence[ScenarioRecord],
    *,
    run: AllureRun,
    categories: Sequence[tuple[str, str]],
    steps: Mapping[str, Sequence[StepOutline]],
    known: frozenset[str] = frozenset(),
) -> int:
    """Replace our files in `directory` with this run's; returns how many result files were written.

    `steps` maps a record's nodeid to its step outline; `known` holds the stable ids a known-failures
    entry covers.
    """
    directory.mkdir(parents=True, exist_ok=True)
    clean(directory)
    for record in records:
        result = result_of(
            record,
            run=run,
            steps=steps.get(record.nodeid, ()),
            known=stable_id(record.spec, record.scenario) in known,
        )
        _write(directory / f"{result['uuid']}-result.json", json.dumps(result, ensure_ascii=False))
    _write(directory / "categories.json", json.dumps(categories_json(categories), indent=1))
    _write(directory / "executor.json", json.dumps(executor_json(run), indent=1))
    _write(directory / "environment.properties", environment_properties(run))
    log.info("wrote %d Allure results to %s", len(records), directory)
    return len(records)


def _write(path: Path, text: str) -> None:
    # Atomic: `allure watch` reads the folder while it changes.
    files.write_atomically(path, text.encode("utf-8"), mode=0o644)
