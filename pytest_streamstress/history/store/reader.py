"""The one typed reader of results.json documents (R11: the dict stops here).

Pure checks and reductions over a parsed document, and the file read that names the file on any
problem. It must not write anything: `directory.py` stores runs, `budget.py` trims them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pytest_streamstress.history.model import scenario_identity
from pytest_streamstress.history.store.summaries import (
    FLAKY_CODE,
    STATUS_CODES,
    TRIM_ORDER,
    CaseOutcome,
    ComponentCommit,
    HistoryError,
    ProfileSummary,
    RunRecord,
    RunSummary,
    TestCase,
)

SCHEMA_VERSION: Final = 1

RUN_ID: Final = re.compile(r"^run-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
_REQUIRED: Final = (
    "schema_version",
    "run_id",
    "started_at",
    "finished_at",
    "status",
    "emulated",
    "components",
    "scenarios",
    "counts",
)
_COUNT_KEYS: Final = ("total", "passed", "failed", "error", "skipped", "flaky")


def case_key(scenario: Mapping[str, Any]) -> str:
    """Identity of a test across runs: the writer's `id`, else its rule (`model.scenario_identity`)."""
    explicit = scenario.get("id")
    if isinstance(explicit, str) and explicit:
        return explicit
    return scenario_identity(str(scenario["spec"]), str(scenario["scenario"]))


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, not {type(value).__name__}")
    return value


def parse_results(data: Any, *, source: str) -> RunRecord:
    """Check the shape the dashboard needs (schema_version 1) and reduce it to a `RunRecord`.

    A full JSON Schema validation would need `jsonschema` at run time; this checks every field the
    index reads and raises `HistoryError` naming `source` and the field, which is what a user needs.
    """
    try:
        return _parse_results(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise HistoryError(
            f"not a pytest-streamstress results.json (schema {SCHEMA_VERSION}): {reason}",
            path=Path(source),
            hint="the history holds only files written by pytest --streamstress",
        ) from exc


def _parse_results(data: Any) -> RunRecord:  # noqa: C901
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    if data["schema_version"] != SCHEMA_VERSION:
        raise ValueError(
            f"schema_version is {data['schema_version']!r}, this dashboard reads {SCHEMA_VERSION}"
        )
    run_id = _text(data["run_id"], "run_id")
    if not RUN_ID.match(run_id):
        raise ValueError(f"run_id {run_id!r} does not look like run-YYYYMMDDTHHMMSSZ-xxxxxx")
    counts_raw = data["counts"]
    counts = tuple((key, int(counts_raw[key])) for key in _COUNT_KEYS)
    outcomes: list[CaseOutcome] = []
    seen: set[str] = set()
    for number, scenario in enumerate(data["scenarios"], start=1):
        if not isinstance(scenario, dict):
            raise ValueError(f"scenarios[{number}] is not an object")
        status = _text(scenario["status"], f"scenarios[{number}].status")
        if status not in STATUS_CODES:
            raise ValueError(f"scenarios[{number}].status {status!r} is not one of {', '.join(STATUS_CODES)}")
        case = TestCase(
            key=case_key(scenario),
            spec=_text(scenario["spec"], f"scenarios[{number}].spec"),
            scenario=_text(scenario["scenario"], f"scenarios[{number}].scenario"),
            tags=tuple(_text(tag, f"scenarios[{number}].tags") for tag in scenario.get("tags", ())),
        )
        if case.key in seen:
            continue  # a retried scenario listed twice: the first entry is the final outcome
        seen.add(case.key)
        code = FLAKY_CODE if status == "passed" and scenario.get("flaky") else STATUS_CODES[status]
        category = scenario.get("category") if status in ("failed", "error") else None
        outcomes.append(
            CaseOutcome(
                case=case, code=code, category=_text(category, "category") if category is not None else None
            )
        )
    categories: list[tuple[str, int]] = []
    labels: list[tuple[str, str]] = []
    for entry in data.get("categories", ()):
        cat_id = _text(entry["category"], "categories[].category")
        categories.append((cat_id, int(entry["count"])))
        labels.append((cat_id, _text(entry.get("label", cat_id), "categories[].label")))
    components = []
    for comp in data["components"]:
        commit = comp.get("commit") or {}
        components.append(
            ComponentCommit(
                name=_text(comp["name"], "components[].name"),
                repo=str(comp.get("repo") or ""),
                ref=comp.get("ref"),
                sha=str(commit.get("sha") or ""),
                subject=str(commit.get("subject") or ""),
                status=str(comp.get("status") or ""),
            )
        )
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    trimmed = str(extra.get("trimmed", "")) if extra else ""
    summary = RunSummary(
        run_id=run_id,
        label=str(data.get("label") or ""),
        started_at=_text(data["started_at"], "started_at"),
        finished_at=_text(data["finished_at"], "finished_at"),
        duration_s=float(data.get("duration_s") or 0.0),
        status=_text(data["status"], "status"),
        emulated=bool(data["emulated"]),
        counts=counts,
        categories=tuple(categories),
        components=tuple(components),
        errors=len(data.get("errors") or ()),
        trimmed=trimmed if trimmed in TRIM_ORDER else "",  # type: ignore[arg-type]  # checked by the condition
        profile=_profile_of(data.get("profile")),
    )
    return RunRecord(summary=summary, outcomes=tuple(outcomes), category_labels=tuple(labels))


def _profile_of(profile: Any) -> ProfileSummary | None:
    """The index's view of a results.json `profile` section (`profile.profile_section`); None if absent."""
    if not isinstance(profile, dict):
        return None
    recommendation = profile.get("recommendation")
    if not isinstance(recommendation, dict):
        return ProfileSummary(status=_text(profile.get("status", ""), "profile.status"))
    limit = recommendation.get("max_parallel_specs")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise ValueError(f"profile.recommendation.max_parallel_specs must be an integer, not {limit!r}")
    return ProfileSummary(
        status=_text(profile.get("status", ""), "profile.status"),
        max_parallel=limit,
        limiting_resource=str(recommendation.get("limiting_resource") or ""),
    )


def read_results(path: Path) -> tuple[RunRecord, dict[str, Any]]:
    """Read and check one results.json; `HistoryError` names the file on any problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryError(
            f"cannot read results.json: {exc}", path=path, hint="pass the results directory of a finished run"
        ) from exc
    return parse_results(data, source=str(path)), data
