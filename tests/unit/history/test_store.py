"""The history store: incremental index, skipped bad files, old runs never rewritten, byte budget."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_streamstress.history.store import (
    INDEX_FILE,
    HistoryError,
    HistoryIndex,
    add_run,
    case_key,
    enforce_budget,
    history_bytes,
    history_documents,
    load_index,
    parse_results,
    trim_results,
    update_index,
)
from pytest_streamstress.testing.histories import generate_history, write_results_dirs

SCHEMA = json.loads(
    (Path(__file__).parents[3] / "pytest_streamstress" / "report" / "results.schema.json").read_text()
)
CODES = {"passed": "P", "failed": "F", "error": "E", "skipped": "S"}


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return generate_history(12, 30)


def make_history(tmp_path: Path, documents: list[dict[str, Any]]) -> Path:
    history = tmp_path / "history"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(history, folder / "results.json")
    return history


def test_generated_histories_are_valid_results_json(documents: list[dict[str, Any]]) -> None:
    for document in documents:
        validate(document)


def test_index_matrix_holds_every_scenario_outcome_of_every_run(
    tmp_path: Path, documents: list[dict[str, Any]]
):
    index = update_index(make_history(tmp_path, documents))
    rows = {case.key: row for case, row in zip(index.tests, index.cells, strict=True)}
    expected: dict[str, str] = {}
    for document in documents:  # every generated run holds every scenario
        for scenario in document["scenarios"]:
            code = "K" if scenario["flaky"] and scenario["status"] == "passed" else CODES[scenario["status"]]
            expected[case_key(scenario)] = expected.get(case_key(scenario), "") + code
    assert rows == expected
    assert index.run_ids() == tuple(d["run_id"] for d in documents)


def test_index_records_the_category_of_each_failure(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    index = update_index(make_history(tmp_path, documents))
    category_ids = [category.category for category in index.categories]
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    last = documents[-1]
    row_of = {case.key: row for row, case in enumerate(index.tests)}
    for scenario in last["scenarios"]:
        code = index.cats[row_of[case_key(scenario)]][-1]
        shown = None if code == "." else category_ids[alphabet.index(code)]
        assert (
            shown == scenario.get("category") if scenario["status"] in ("failed", "error") else shown is None
        )


def test_adding_a_run_leaves_older_run_files_byte_identical(tmp_path: Path, documents: list[dict[str, Any]]):
    history = make_history(tmp_path, documents[:-1])
    update_index(history)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in history.glob("runs/*/results.json")}
    (folder,) = write_results_dirs(documents[-1:], tmp_path / "new")
    add_run(history, folder / "results.json")
    update_index(history)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before}
    assert after == before
    assert len(list(history.glob("runs/*/results.json"))) == len(documents)


def test_incremental_index_equals_an_index_rebuilt_from_scratch(
    tmp_path: Path, documents: list[dict[str, Any]]
):
    history = tmp_path / "history"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(history, folder / "results.json")
        update_index(history)
    incremental = (history / INDEX_FILE).read_bytes()
    (history / INDEX_FILE).unlink()
    update_index(history)
    assert (history / INDEX_FILE).read_bytes() == incremental


def test_a_run_added_out_of_order_lands_in_time_order(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    shuffled = [documents[3], documents[0], documents[2], documents[1]]
    index = update_index(make_history(tmp_path, shuffled))
    assert index.run_ids() == tuple(d["run_id"] for d in documents[:4])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "cannot read results.json"),
        ('{"report": {"tests": []}}', "missing field(s) schema_version"),
        ("[1, 2]", "not a JSON object"),
    ],
    ids=["not-json", "foreign-report", "json-array"],
)
def test_a_bad_file_in_the_history_is_skipped_with_a_warning_naming_it(
    tmp_path: Path,
    documents: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    content: str,
    reason: str,
) -> None:
    history = make_history(tmp_path, documents[:3])
    bad = history / "runs" / "run-20990101T000000Z-abcdef" / "results.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(content)
    with caplog.at_level(logging.WARNING):
        index = update_index(history)
    assert len(index.runs) == 3
    assert [s.path for s in index.skipped] == ["runs/run-20990101T000000Z-abcdef/results.json"]
    assert reason in index.skipped[0].reason
    assert str(bad) in caplog.text


def test_a_run_whose_id_does_not_match_its_folder_is_skipped(tmp_path: Path, documents: list[dict[str, Any]]):
    history = make_history(tmp_path, documents[:2])
    stray = history / "runs" / "run-20990101T000000Z-abcdef" / "results.json"
    stray.parent.mkdir(parents=True)
    stray.write_text(json.dumps(documents[5]))
    index = update_index(history)
    assert documents[5]["run_id"] not in index.run_ids()
    assert "does not match its folder" in index.skipped[0].reason


def test_an_unreadable_index_is_rebuilt_from_the_runs(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = make_history(tmp_path, documents[:4])
    update_index(history)
    (history / INDEX_FILE).write_text('{"format": 1, "runs": "garbage"}')
    assert load_index(history) == HistoryIndex()
    assert len(update_index(history).runs) == 4


def test_a_missing_required_field_is_named_in_the_error(documents: list[dict[str, Any]]) -> None:
    broken = dict(documents[0])
    del broken["counts"]
    with pytest.raises(HistoryError, match=r"somewhere/results.json: .*missing field\(s\) counts"):
        parse_results(broken, source="somewhere/results.json")


def test_adding_the_same_run_twice_is_a_no_op(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    history = make_history(tmp_path, documents[:1])
    target = next(history.glob("runs/*/results.json"))
    before = target.stat().st_mtime_ns
    add_run(history, tmp_path / "results" / documents[0]["run_id"] / "results.json")
    assert target.stat().st_mtime_ns == before


def test_a_different_file_under_a_published_run_id_is_refused(
    tmp_path: Path, documents: list[dict[str, Any]]
):
    history = make_history(tmp_path, documents[:1])
    changed = dict(documents[0], label="rewritten")
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    with pytest.raises(HistoryError, match="already in the history with other content"):
        add_run(history, tmp_path / "changed.json")


def test_a_label_given_at_add_time_is_stored_in_the_run(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = tmp_path / "history"
    (folder,) = write_results_dirs(documents[1:2], tmp_path / "results")
    add_run(history, folder / "results.json", label="weekly rc")
    assert update_index(history).runs[0].label == "weekly rc"


def test_trimmed_results_still_match_the_schema(documents: list[dict[str, Any]]) -> None:
    for level in ("messages", "outcomes"):
        trimmed = trim_results(documents[-1], level)  # type: ignore[arg-type]
        validate(trimmed)
        assert all("message" not in s and "trace" not in s for s in trimmed["scenarios"])


def test_over_budget_old_runs_lose_messages_first_oldest_first(
    tmp_path: Path, documents: list[dict[str, Any]]
):
    history = make_history(tmp_path, documents)
    index = update_index(history)
    newest = history / index.runs[-1].file
    newest_bytes = newest.read_bytes()
    budget = history_bytes(history) - 3000
    index = enforce_budget(history, index, budget)
    trimmed = [run.trimmed for run in index.runs]
    assert trimmed[0] == "messages"
    assert trimmed[-1] == ""
    assert trimmed == sorted(trimmed, reverse=True)  # a prefix of the oldest runs, nothing after a gap
    assert history_bytes(history) <= budget
    assert newest.read_bytes() == newest_bytes
    oldest = json.loads((history / index.runs[0].file).read_text())
    assert not any("message" in s for s in oldest["scenarios"])


def test_a_tight_budget_keeps_every_outcome_of_every_run(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = make_history(tmp_path, documents)
    cells_before = update_index(history).cells
    index = enforce_budget(history, update_index(history), budget=1)
    assert {run.trimmed for run in index.runs[:-1]} == {"outcomes"}
    (history / INDEX_FILE).unlink()
    assert update_index(history).cells == cells_before


@pytest.mark.parametrize(
    ("scenario", "key"),
    [
        ({"id": "specs/a.spec::X", "spec": "specs/a.spec", "scenario": "Heading"}, "specs/a.spec::X"),
        (
            {"spec": "specs/a.spec", "scenario": "Run a task: PIPELINES-03-TC01"},
            "specs/a.spec::PIPELINES-03-TC01",
        ),
        ({"spec": "specs/a.spec", "scenario": "Run a task"}, "specs/a.spec::Run a task"),
    ],
    ids=["writer-id", "case-id-in-heading", "heading"],
)
def test_test_identity_follows_the_writers_rule(scenario: dict[str, str], key: str) -> None:
    assert case_key(scenario) == key


def test_a_named_clusters_history_is_its_own_runs_only(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    """Issue 23: a scenario failing on one OpenShift version is no new failure of another."""
    named = [
        {
            **doc,
            "cluster": {**doc["cluster"], "name": "ocp-a" if i % 3 == 0 else "ocp-b" if i % 3 == 1 else ""},
        }
        for i, doc in enumerate(documents[:9])
    ]
    for doc in named:
        validate(doc)
    history = make_history(tmp_path, named)
    ids = {
        name: [d["run_id"] for d in history_documents(history, cluster=name)]
        for name in ("ocp-a", "ocp-b", "")
    }
    assert ids == {
        "ocp-a": [named[i]["run_id"] for i in (0, 3, 6)],
        "ocp-b": [named[i]["run_id"] for i in (1, 4, 7)],
        "": [named[i]["run_id"] for i in (2, 5, 8)],
    }
    assert len(history_documents(history)) == 9
