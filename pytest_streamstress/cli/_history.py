"""`--history DIR` of the commands that produce a run (`collect`, `merge`): the run joins the store."""

from __future__ import annotations

import sys
from pathlib import Path


def add_to_history(command: str, history: Path | None, results: Path) -> int:
    """0 when added (or nothing to add), 1 with the reason on stderr when the store refuses it."""
    if history is None or not results.is_file():
        return 0
    from pytest_streamstress.history.store import HistoryError, record_run

    try:
        record = record_run(history, results)
    except HistoryError as exc:
        sys.stderr.write(f"streamstress {command}: not added to the history {history}: {exc}\n")
        return 1
    sys.stdout.write(f"added {record.summary.run_id} to the history {history}\n")
    return 0
