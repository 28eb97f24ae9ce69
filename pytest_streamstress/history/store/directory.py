"""The history directory on disk: `runs/<run-id>/results.json` and `index.json`.

Adding a run writes one new file and rewrites `index.json`; it never rewrites an older run's file
(`budget.py` alone does, to drop detail). The site's files are written 0644 for the web server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pytest_streamstress._infra import files as _files
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.store.index import HistoryIndex
from pytest_streamstress.history.store.reader import load_document, parse_results, read_results
from pytest_streamstress.history.store.summaries import (
    INDEX_FILE,
    RESULTS_FILE,
    RUNS_DIR,
    SUMMARY_VERSION,
    HistoryError,
    RunRecord,
    SkippedFile,
)

log = logging.getLogger(__name__)


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
            record = read_results(path)
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
    data = load_document(results_path)
    record = parse_results(data, source=str(results_path))
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


def record_run(history_dir: Path, results_path: Path, *, label: str = "") -> RunRecord:
    """A run joins the history: its file under `runs/`, then the index (what a session's `--history`,
    `streamstress collect --history` and `streamstress merge --history` do)."""
    record = add_run(history_dir, results_path, label=label)
    update_index(history_dir)
    return record


def history_documents(
    history_dir: Path,
    *,
    exclude_run: str = "",
    cluster: str | None = None,
    skipped: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Every readable `runs/*/results.json` as its document, oldest first; unreadable ones are skipped,
    each with the file and why appended to `skipped` (the session says so on the terminal).

    The analysis reads these through the store's lean views (`outcomes_from_json`), so a long
    history is read once and fast; nobody outside the store opens a run file. With `cluster`, only
    the runs of that `--cluster-name` ("" = runs that name no cluster): a scenario that fails on one
    OpenShift version and passes on another is not a new failure of either (issue 23).
    """
    runs = history_dir / "runs"
    if not runs.is_dir():
        raise ConfigError(
            f"{history_dir} holds no runs/ directory",
            hint="point --history at a history store or a checkout of the published site",
        )
    documents: list[dict[str, Any]] = []
    for path in sorted(runs.glob("*/results.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            why = "not valid JSON" if isinstance(exc, ValueError) else "unreadable"
            _skip(skipped, f"{path}: {why} ({exc})")
            continue
        if not isinstance(data, dict) or data.get("schema_version") != 1 or "scenarios" not in data:
            _skip(skipped, f"{path}: not a streamstress results.json v1")
            continue
        if data.get("run_id") != exclude_run and (cluster is None or cluster_name(data) == cluster):
            documents.append(data)
    documents.sort(key=lambda d: str(d.get("started_at", "")))
    return documents


def _skip(skipped: list[str] | None, reason: str) -> None:
    log.warning("history: skipping %s", reason)
    if skipped is not None:
        skipped.append(reason)


def cluster_name(data: Mapping[str, Any]) -> str:
    """The `cluster.name` of a results.json document; "" for one that names no cluster (or predates names)."""
    cluster = data.get("cluster")
    name = cluster.get("name") if isinstance(cluster, Mapping) else None
    return name if isinstance(name, str) else ""
