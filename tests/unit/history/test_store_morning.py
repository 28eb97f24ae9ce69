"""What the index keeps for the morning page (issue 20): verdicts, confirmation counts, category colours;
and the reading of the newest run's failures (history/store/details.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import (
    SUMMARY_VERSION,
    HistoryError,
    HistoryIndex,
    add_run,
    case_key,
    details_from_json,
    update_index,
)
from pytest_streamstress.testing.histories import write_results_dirs
from pytest_streamstress.testing.morning import morning_history


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return morning_history(5, 30)


def history_of(tmp_path: Path, documents: list[dict[str, Any]]) -> Path:
    history = tmp_path / "history"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(history, folder / "results.json")
    return history


def test_each_run_summary_carries_its_verdict(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    index = update_index(history_of(tmp_path, documents))
    verdicts = [run.verdict for run in index.runs]
    assert all(v is not None for v in verdicts)
    assert [(v.status, v.gating, v.excused, v.scored) for v in verdicts if v] == [
        (d["verdict"]["status"], d["verdict"]["gating"], d["verdict"]["excused"], True) for d in documents
    ]
    assert index.runs[-1].verdict and index.runs[-1].verdict.sentence == documents[-1]["verdict"]["sentence"]


def test_the_newest_summary_counts_what_confirm_proved(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    index = update_index(history_of(tmp_path, documents))
    assert dict(index.runs[-1].confirmations) == {"confirmed": 1, "passed-on-rerun": 1}
    assert index.runs[0].confirmations == ()


def test_the_index_json_reads_back_with_verdicts_and_colours(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = history_of(tmp_path, documents)
    index = update_index(history)
    again = HistoryIndex.from_json(json.loads((history / "index.json").read_text()))
    assert again == index
    assert again.summary_version == SUMMARY_VERSION == 4


def test_a_category_takes_the_colour_of_the_newest_run_that_gives_one(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    painted = copy.deepcopy(documents)
    painted[0]["category_labels"][0]["color"] = "#111111"
    painted[-1]["category_labels"][0]["color"] = "#c62828"
    painted[-2]["category_labels"][1]["color"] = "#222222"  # only an older run paints the second one
    history = history_of(tmp_path, painted)
    colors = {c.category: c.color for c in update_index(history).categories}
    assert colors["upstream-regression"] == "#c62828"
    assert colors[painted[-2]["category_labels"][1]["category"]] == "#222222"
    (history / "index.json").unlink()
    rebuilt = {c.category: c.color for c in update_index(history).categories}
    assert rebuilt == colors


def test_the_runs_failures_are_read_with_their_evidence_and_culprits(documents: list[dict[str, Any]]) -> None:
    last = documents[-1]
    details = details_from_json(last, source="results.json")
    failing = [s for s in last["scenarios"] if s["status"] in ("failed", "error")]
    assert [f.key for f in details.failures] == [case_key(s) for s in failing]
    confirmed = details.failure(case_key(last["scenarios"][7]))
    assert confirmed is not None and confirmed.confirmation is not None
    assert confirmed.confirmation.verdict == "confirmed"
    assert confirmed.rule == "controller-panic" and confirmed.step.startswith("Verify pipelinerun 7")
    culprit = details.culprit(case_key(last["scenarios"][7]))
    assert culprit is not None and [s.component for s in culprit.suspects] == ["pipeline"]
    assert culprit.suspects[0].commits == len(last["analysis"]["culprits"][0]["components"][0]["commits"])


def test_a_malformed_failure_is_named_in_the_error(documents: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(documents[-1])
    del next(s for s in broken["scenarios"] if s["status"] == "failed")["spec"]
    with pytest.raises(HistoryError, match="missing field 'spec'"):
        details_from_json(broken, source="runs/x/results.json")
