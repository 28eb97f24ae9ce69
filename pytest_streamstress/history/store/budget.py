"""The history's byte budget: old runs lose detail, oldest first, so the history fits.

Messages and traces go first; then old runs keep only per-test outcomes. The newest run is never
trimmed, and outcomes are never dropped silently.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Final

from pytest_streamstress.history.store.directory import write_atomically, write_index
from pytest_streamstress.history.store.index import HistoryIndex
from pytest_streamstress.history.store.summaries import TRIM_ORDER, Trim

log = logging.getLogger(__name__)

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
            if TRIM_ORDER[run.trimmed] >= TRIM_ORDER[level]:
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
