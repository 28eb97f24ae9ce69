"""The history store the dashboard reads: `runs/<run-id>/results.json` plus a compact `index.json`.

It owns the layout of a history directory (a local site or a checkout of the gh-pages branch), the
incremental index, and the byte budget. It must not render HTML (`site.py`) or run git
(`publish.py`).

Layout::

    index.json                 summaries of every run + a per-test outcome matrix (loaded first)
    runs/<run-id>/results.json one run, as the plugin wrote it (fetched lazily by the page)

Rules the rest of the project relies on:

- Adding a run writes one new file and rewrites `index.json`; it never rewrites an older run's file.
  Only the byte budget (`enforce_budget`) rewrites old runs, and only to drop detail from them.
- A malformed or foreign `results.json` inside the history is skipped with a warning naming it and
  listed in `index.json` under `skipped`; it never breaks the index or the page.
- The index is compact on purpose: the page must render 365 runs x 200 tests from it in under
  1 s and under 2 MB (bench/dashboard.py), so per-test outcomes are one character per run and the
  failure category one more character per run, never objects.

Test identity across runs: the scenario's `id` when the writer gives one, else the writer's own rule
(`history.model.scenario_identity`, below report/: spec + PIPELINES-NN-TCNN from the heading, else it).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

from pytest_streamstress._infra import files as _files
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.model import scenario_identity

log = logging.getLogger(__name__)

INDEX_FILE: Final = "index.json"
RUNS_DIR: Final = "runs"
RESULTS_FILE: Final = "results.json"
INDEX_FORMAT: Final = 1
SUMMARY_VERSION: Final = 2
"""Version of the per-run summaries inside a format-1 index. 2 adds the profile recommendation
(issue 9). An index written with an older version is still read, then rebuilt once from `runs/`,
since its summaries lack fields that only the run files can give."""
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

STATUS_CODES: Final[Mapping[str, str]] = {"passed": "P", "failed": "F", "error": "E", "skipped": "S"}
"""One character per outcome in the index matrix; `K` is a flaky pass, `-` not run in that run."""
FLAKY_CODE: Final = "K"
ABSENT_CODE: Final = "-"
NO_CATEGORY: Final = "."
_CATEGORY_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

Trim = Literal["", "messages", "outcomes"]
_TRIM_ORDER: Final[Mapping[str, int]] = {"": 0, "messages": 1, "outcomes": 2}
_DETAIL_FIELDS: Final = ("message", "trace", "category_evidence", "profile", "history", "log_path")
"""Dropped first when the budget is exceeded: the bulky text of a failure."""
_OUTCOME_FIELDS: Final = (
    "nodeid",
    "id",
    "spec",
    "spec_heading",
    "scenario",
    "line",
    "tags",
    "status",
    "duration_s",
    "flaky",
    "retries",
    "category",
    "known_issue",
)
"""What an old run keeps at the last stage: enough for the grid and the trend charts."""


class HistoryError(ConfigError):
    """A results.json cannot be used as a run of the history (malformed, foreign, clashing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentCommit:
    """The upstream commit a component of a run was built from, for links and compare ranges."""

    name: str
    repo: str = ""
    ref: str | None = None
    sha: str = ""
    subject: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileSummary:
    """A run's profile as the index keeps it: enough for the recommendation chart (issue 9).

    The heaviest scenarios and the sentence stay in the run file; the chart of 365 runs must not
    need 365 fetches.
    """

    status: str
    max_parallel: int | None = None
    limiting_resource: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """One run as the index shows it, without per-scenario detail."""

    run_id: str
    label: str
    started_at: str
    finished_at: str
    duration_s: float
    status: str
    emulated: bool
    counts: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    components: tuple[ComponentCommit, ...]
    errors: int
    trimmed: Trim = ""
    profile: ProfileSummary | None = None
    """None when the run was made without `--profile`."""

    @property
    def file(self) -> str:
        return f"{RUNS_DIR}/{self.run_id}/{RESULTS_FILE}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestCase:
    """A test's identity and the facts the page filters it by."""

    key: str
    spec: str
    scenario: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseOutcome:
    case: TestCase
    code: str
    category: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """A parsed results.json reduced to what the index needs."""

    summary: RunSummary
    outcomes: tuple[CaseOutcome, ...]
    category_labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryIndex:
    """Every run's summary (oldest first) and the test x run outcome matrix.

    `cells[t][r]` is the outcome code of test `t` in run `r`; `cats[t][r]` the index of its category
    in `categories` (one character of `_CATEGORY_ALPHABET`, `.` for none).
    """

    runs: tuple[RunSummary, ...] = ()
    tests: tuple[TestCase, ...] = ()
    cells: tuple[str, ...] = ()
    cats: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()
    """(id, label) of every category seen, in order of first appearance."""
    skipped: tuple[SkippedFile, ...] = field(default=())
    summary_version: int = SUMMARY_VERSION

    def run_ids(self) -> tuple[str, ...]:
        return tuple(run.run_id for run in self.runs)

    # ---------------------------------------------------------------- incremental changes

    def with_run(self, record: RunRecord) -> HistoryIndex:  # noqa: C901
        """A new index with `record` inserted in time order (normally appended)."""
        if record.summary.run_id in self.run_ids():
            return self
        position = len(self.runs)
        while position > 0 and self.runs[position - 1].started_at > record.summary.started_at:
            position -= 1
        categories = list(self.categories)
        known = {cat_id for cat_id, _ in categories}
        for cat_id, label in record.category_labels:
            if cat_id not in known:
                categories.append((cat_id, label))
                known.add(cat_id)
        for outcome in record.outcomes:
            if outcome.category is not None and outcome.category not in known:
                categories.append((outcome.category, outcome.category))
                known.add(outcome.category)
        if len(categories) > len(_CATEGORY_ALPHABET):
            raise HistoryError(
                f"more than {len(_CATEGORY_ALPHABET)} failure categories in the history",
                hint="merge categories in categories.toml",
            )
        category_code = {cat_id: _CATEGORY_ALPHABET[i] for i, (cat_id, _) in enumerate(categories)}
        by_key = {outcome.case.key: outcome for outcome in record.outcomes}
        tests = list(self.tests)
        cells = list(self.cells)
        cats = list(self.cats)
        for row, case in enumerate(tests):
            found = by_key.pop(case.key) if case.key in by_key else None
            code = found.code if found else ABSENT_CODE
            cat = category_code[found.category] if found and found.category else NO_CATEGORY
            cells[row] = cells[row][:position] + code + cells[row][position:]
            cats[row] = cats[row][:position] + cat + cats[row][position:]
            if found is not None and found.case.tags != case.tags:
                tests[row] = found.case
        width = len(self.runs)
        for outcome in record.outcomes:
            if outcome.case.key not in by_key:
                continue
            tests.append(outcome.case)
            cat = category_code[outcome.category] if outcome.category else NO_CATEGORY
            cells.append(ABSENT_CODE * position + outcome.code + ABSENT_CODE * (width - position))
            cats.append(NO_CATEGORY * position + cat + NO_CATEGORY * (width - position))
        runs = (*self.runs[:position], record.summary, *self.runs[position:])
        return replace(
            self,
            runs=runs,
            tests=tuple(tests),
            cells=tuple(cells),
            cats=tuple(cats),
            categories=tuple(categories),
        )

    def without_runs(self, run_ids: Iterable[str]) -> HistoryIndex:
        """A new index without these runs; tests left with no outcome at all disappear."""
        drop = set(run_ids)
        keep = [i for i, run in enumerate(self.runs) if run.run_id not in drop]
        tests: list[TestCase] = []
        cells: list[str] = []
        cats: list[str] = []
        for case, row, cat_row in zip(self.tests, self.cells, self.cats, strict=True):
            new_row = "".join(row[i] for i in keep)
            if new_row.strip(ABSENT_CODE):
                tests.append(case)
                cells.append(new_row)
                cats.append("".join(cat_row[i] for i in keep))
        return replace(
            self,
            runs=tuple(self.runs[i] for i in keep),
            tests=tuple(tests),
            cells=tuple(cells),
            cats=tuple(cats),
        )

    def with_trimmed(self, run_id: str, trimmed: Trim) -> HistoryIndex:
        runs = tuple(replace(run, trimmed=trimmed) if run.run_id == run_id else run for run in self.runs)
        return replace(self, runs=runs)

    # ---------------------------------------------------------------- JSON (the one boundary, R11)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "summary_version": self.summary_version,
            "runs": [_summary_to_json(run) for run in self.runs],
            "tests": [{"k": t.key, "s": t.spec, "n": t.scenario, "t": list(t.tags)} for t in self.tests],
            "cells": list(self.cells),
            "cats": list(self.cats),
            "categories": [{"id": cat_id, "label": label} for cat_id, label in self.categories],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }

    @classmethod
    def from_json(cls, data: Any) -> HistoryIndex:
        """Raises ValueError/KeyError/TypeError on a shape we did not write; the caller rebuilds."""
        if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
            raise ValueError(f"not an index of format {INDEX_FORMAT}")
        runs = tuple(_summary_from_json(run) for run in data["runs"])
        tests = tuple(
            TestCase(
                key=str(t["k"]),
                spec=str(t["s"]),
                scenario=str(t["n"]),
                tags=tuple(str(tag) for tag in t["t"]),
            )
            for t in data["tests"]
        )
        cells = tuple(str(row) for row in data["cells"])
        cats = tuple(str(row) for row in data["cats"])
        if len(cells) != len(tests) or len(cats) != len(tests):
            raise ValueError("matrix rows do not match the tests")
        if any(len(row) != len(runs) for row in (*cells, *cats)):
            raise ValueError("matrix columns do not match the runs")
        categories = tuple((str(c["id"]), str(c["label"])) for c in data["categories"])
        skipped = tuple(
            SkippedFile(path=str(s["path"]), reason=str(s["reason"])) for s in data.get("skipped", ())
        )
        return cls(
            runs=runs,
            tests=tests,
            cells=cells,
            cats=cats,
            categories=categories,
            skipped=skipped,
            summary_version=int(data.get("summary_version", 1)),
        )


def _summary_to_json(run: RunSummary) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "label": run.label,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "status": run.status,
        "emulated": run.emulated,
        "counts": dict(run.counts),
        "categories": dict(run.categories),
        "components": [
            {
                "name": c.name,
                "repo": c.repo,
                "ref": c.ref,
                "sha": c.sha,
                "subject": c.subject,
                "status": c.status,
            }
            for c in run.components
        ],
        "errors": run.errors,
        "file": run.file,
        "trimmed": run.trimmed,
        **({} if run.profile is None else {"profile": _profile_to_json(run.profile)}),
    }


def _profile_to_json(profile: ProfileSummary) -> dict[str, Any]:
    return {
        "status": profile.status,
        "max_parallel": profile.max_parallel,
        "limiting_resource": profile.limiting_resource,
    }


def _profile_from_json(data: Any) -> ProfileSummary | None:
    if data is None:
        return None
    limit = data.get("max_parallel")
    return ProfileSummary(
        status=str(data["status"]),
        max_parallel=None if limit is None else int(limit),
        limiting_resource=str(data.get("limiting_resource") or ""),
    )


def _summary_from_json(data: Mapping[str, Any]) -> RunSummary:
    trimmed = str(data.get("trimmed", ""))
    if trimmed not in _TRIM_ORDER:
        raise ValueError(f"unknown trim level {trimmed!r}")
    return RunSummary(
        run_id=str(data["id"]),
        label=str(data["label"]),
        started_at=str(data["started_at"]),
        finished_at=str(data["finished_at"]),
        duration_s=float(data["duration_s"]),
        status=str(data["status"]),
        emulated=bool(data["emulated"]),
        counts=tuple((str(k), int(v)) for k, v in data["counts"].items()),
        categories=tuple((str(k), int(v)) for k, v in data["categories"].items()),
        components=tuple(
            ComponentCommit(
                name=str(c["name"]),
                repo=str(c["repo"]),
                ref=c["ref"],
                sha=str(c["sha"]),
                subject=str(c["subject"]),
                status=str(c["status"]),
            )
            for c in data["components"]
        ),
        errors=int(data["errors"]),
        trimmed=trimmed,  # type: ignore[arg-type]  # checked against _TRIM_ORDER above
        profile=_profile_from_json(data.get("profile")),
    )


# -------------------------------------------------------------------- reading one results.json (pure)


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
        trimmed=trimmed if trimmed in _TRIM_ORDER else "",  # type: ignore[arg-type]  # checked by the condition
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


# -------------------------------------------------------------------- the store (I/O)


def write_atomically(path: Path, data: bytes) -> None:
    """The site's files must be readable by the web server: 0644, not mkstemp's 0600."""
    _files.write_atomically(path, data, mode=0o644)


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_index(history_dir: Path) -> HistoryIndex:
    """The stored index, or an empty one (with a warning) when it is missing or unreadable."""
    path = history_dir / INDEX_FILE
    if not path.is_file():
        return HistoryIndex()
    try:
        return HistoryIndex.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s is unreadable (%s); rebuilding it from %s/", path, exc, RUNS_DIR)
        return HistoryIndex()


def update_index(history_dir: Path) -> HistoryIndex:
    """Bring `index.json` in line with `runs/`: add new runs, drop vanished ones, keep the rest as is.

    Only the runs not yet in the index are read, so adding a run to a history of hundreds costs one
    file read. A bad run file is skipped with a warning naming it and listed under `skipped`.
    """
    index = load_index(history_dir)
    if index.runs and index.summary_version < SUMMARY_VERSION:
        log.info("%s predates summary version %d; re-reading every run once", INDEX_FILE, SUMMARY_VERSION)
        index = HistoryIndex()
    runs_dir = history_dir / RUNS_DIR
    present = []
    if runs_dir.is_dir():
        present = sorted(p.name for p in runs_dir.iterdir() if (p / RESULTS_FILE).is_file())
    vanished = set(index.run_ids()) - set(present)
    changed = bool(vanished)
    if vanished:
        index = index.without_runs(vanished)
    indexed = set(index.run_ids())
    skipped: list[SkippedFile] = []
    for name in present:
        if name in indexed:
            continue
        path = runs_dir / name / RESULTS_FILE
        relative = f"{RUNS_DIR}/{name}/{RESULTS_FILE}"
        try:
            record, _ = read_results(path)
            if record.summary.run_id != name:
                raise HistoryError(
                    f"run_id {record.summary.run_id!r} does not match its folder {name!r}", path=path
                )
        except HistoryError as exc:
            log.warning("skipping %s in the history: %s", path, exc.message)
            skipped.append(SkippedFile(path=relative, reason=exc.message))
            continue
        index = index.with_run(record)
        changed = True
    if tuple(skipped) != index.skipped:
        index = replace(index, skipped=tuple(skipped))
        changed = True
    if changed or not (history_dir / INDEX_FILE).is_file():
        write_index(history_dir, index)
    return index


def write_index(history_dir: Path, index: HistoryIndex) -> None:
    write_atomically(history_dir / INDEX_FILE, _dump(index.to_json()))


def add_run(history_dir: Path, results_path: Path, *, label: str = "") -> RunRecord:
    """Copy a run into `runs/<run-id>/results.json`; the bytes are kept as written unless `label` is set.

    Adding the same run twice is a no-op; a different file under the same run id is an error, because
    old runs are never rewritten.
    """
    record, data = read_results(results_path)
    raw = results_path.read_bytes()
    if label and data.get("label") != label:
        data["label"] = label
        raw = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        record = replace(record, summary=replace(record.summary, label=label))
    target = history_dir / RUNS_DIR / record.summary.run_id / RESULTS_FILE
    if target.is_file():
        if target.read_bytes() == raw:
            log.info("%s is already in the history", record.summary.run_id)
            return record
        raise HistoryError(
            f"run {record.summary.run_id} is already in the history with other content",
            path=target,
            hint="a run is published once; start a new run to publish again",
        )
    write_atomically(target, raw)
    log.info("added %s to the history at %s", record.summary.run_id, history_dir)
    return record


# -------------------------------------------------------------------- the byte budget


def history_bytes(history_dir: Path) -> int:
    """Bytes of every file in the history (a `.git` folder excluded)."""
    total = 0
    for root, dirs, files in os.walk(history_dir):
        if ".git" in dirs:
            dirs.remove(".git")
        total += sum((Path(root) / name).stat().st_size for name in files)
    return total


def trim_results(data: dict[str, Any], level: Trim) -> dict[str, Any]:
    """A copy of a results.json with less detail; still valid against the schema (pure)."""
    trimmed = dict(data)
    scenarios = []
    for scenario in data.get("scenarios", ()):
        if level == "outcomes":
            kept = {key: value for key, value in scenario.items() if key in _OUTCOME_FIELDS}
        else:
            kept = {key: value for key, value in scenario.items() if key not in _DETAIL_FIELDS}
        scenarios.append(kept)
    trimmed["scenarios"] = scenarios
    if level == "outcomes":
        trimmed.pop("analysis", None)
        profile = data.get("profile")
        if isinstance(profile, dict):
            # Keep what the index reads (its recommendation), so a rebuilt index equals the incremental one.
            trimmed["profile"] = {
                key: profile[key] for key in ("status", "reason", "recommendation") if key in profile
            }
    extra = dict(trimmed.get("extra") or {})
    extra["trimmed"] = level
    trimmed["extra"] = extra
    return trimmed


def enforce_budget(history_dir: Path, index: HistoryIndex, budget: int) -> HistoryIndex:
    """Shrink old runs until the history fits `budget` bytes; returns the index with trim marks.

    Messages and traces go first, oldest run first; then old runs keep only per-test outcomes. The
    newest run is never trimmed. If even that does not fit, the history stays over budget with a
    warning: outcomes are the dashboard's point and are never dropped silently.
    """
    total = history_bytes(history_dir)
    if total <= budget:
        return index
    levels: tuple[Trim, ...] = ("messages", "outcomes")
    for level in levels:
        for run in index.runs[:-1]:
            if total <= budget:
                break
            if _TRIM_ORDER[run.trimmed] >= _TRIM_ORDER[level]:
                continue
            path = history_dir / run.file
            try:
                before = path.stat().st_size
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("cannot trim %s: %s", path, exc)
                continue
            smaller = json.dumps(trim_results(data, level), ensure_ascii=False, indent=1).encode("utf-8")
            write_atomically(path, smaller)
            total -= before - len(smaller)
            index = index.with_trimmed(run.run_id, level)
            log.info("history budget: %s trimmed to %s", run.run_id, level)
    write_index(history_dir, index)
    if total > budget:
        log.warning(
            "the history at %s is %d bytes, over the budget of %d bytes even with old runs trimmed;"
            " raise --history-budget",
            history_dir,
            total,
            budget,
        )
    return index
