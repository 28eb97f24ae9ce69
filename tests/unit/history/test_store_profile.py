"""The per-run profile recommendation in `index.json` (issue 9): written, read back, rebuilt alike."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_streamstress.history.store import (
    INDEX_FILE,
    SUMMARY_VERSION,
    HistoryError,
    HistoryIndex,
    ProfileSummary,
    add_run,
    enforce_budget,
    parse_results,
    trim_results,
    update_index,
)
from pytest_streamstress.report.site import build_view
from pytest_streamstress.testing.histories import generate_history, has_profile, write_results_dirs

SCHEMA = json.loads(
    (Path(__file__).parents[3] / "pytest_streamstress" / "report" / "results.schema.json").read_text()
)


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return generate_history(9, 20, profile=True, analysis=True)


def make_history(tmp_path: Path, documents: list[dict[str, Any]]) -> Path:
    history = tmp_path / "history"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(history, folder / "results.json")
    return history


def expected_profile(document: dict[str, Any]) -> ProfileSummary | None:
    if document["profile"] is None:
        return None
    recommendation = document["profile"]["recommendation"]
    return ProfileSummary(
        status=document["profile"]["status"],
        max_parallel=recommendation["max_parallel_specs"],
        limiting_resource=recommendation["limiting_resource"],
    )


def test_generated_profiles_and_analyses_are_valid_results_json(documents: list[dict[str, Any]]) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for document in documents:
        validator.validate(document)


def test_plain_generated_histories_carry_no_profile_or_analysis() -> None:
    plain = generate_history(3, 5)
    assert all("profile" not in d and "analysis" not in d for d in plain)


def test_index_summaries_carry_each_runs_recommendation(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    index = update_index(make_history(tmp_path, documents))
    assert [run.profile for run in index.runs] == [expected_profile(d) for d in documents]
    assert [run.profile is None for run in index.runs] == [not has_profile(i) for i in range(len(documents))]


def test_index_json_reads_back_with_its_profiles(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    history = make_history(tmp_path, documents)
    index = update_index(history)
    data = json.loads((history / INDEX_FILE).read_text())
    assert data["runs"][0]["profile"] == {
        "status": "complete",
        "max_parallel": 2,
        "limiting_resource": "memory",
    }
    assert "profile" not in data["runs"][1]  # a run made without --profile adds no bytes
    assert HistoryIndex.from_json(data) == index


def test_a_profile_marked_unavailable_is_indexed_without_a_recommendation(
    documents: list[dict[str, Any]],
) -> None:
    document = copy.deepcopy(documents[0])
    document["profile"] = {
        "status": "unavailable",
        "reason": "metrics API answered 404",
        "recommendation": None,
    }
    record = parse_results(document, source="results.json")
    assert record.summary.profile == ProfileSummary(status="unavailable")


def test_a_recommendation_that_is_not_a_whole_number_names_the_field(documents: list[dict[str, Any]]) -> None:
    document = copy.deepcopy(documents[0])
    document["profile"]["recommendation"]["max_parallel_specs"] = "four"
    with pytest.raises(HistoryError, match="max_parallel_specs"):
        parse_results(document, source="results.json")


def test_an_index_written_before_profiles_is_rebuilt_once_with_them(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = make_history(tmp_path, documents)
    update_index(history)
    fresh = (history / INDEX_FILE).read_bytes()
    old = json.loads(fresh)
    del old["summary_version"]
    for run in old["runs"]:
        run.pop("profile", None)
    (history / INDEX_FILE).write_text(json.dumps(old))
    assert HistoryIndex.from_json(old).summary_version == 1  # still readable
    index = update_index(history)
    assert index.summary_version == SUMMARY_VERSION
    assert (history / INDEX_FILE).read_bytes() == fresh


def test_trimming_old_runs_keeps_their_recommendation_so_a_rebuild_matches(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = make_history(tmp_path, documents)
    index = enforce_budget(history, update_index(history), budget=1)
    assert {run.trimmed for run in index.runs[:-1]} == {"outcomes"}
    incremental = (history / INDEX_FILE).read_bytes()
    (history / INDEX_FILE).unlink()
    rebuilt = update_index(history)
    assert (history / INDEX_FILE).read_bytes() == incremental
    assert [run.profile for run in rebuilt.runs] == [expected_profile(d) for d in documents]


def test_trimmed_results_drop_the_heaviest_list_and_the_analysis(documents: list[dict[str, Any]]) -> None:
    trimmed = trim_results(documents[-1], "outcomes")
    jsonschema.Draft202012Validator(SCHEMA).validate(trimmed)
    assert "analysis" not in trimmed
    assert set(trimmed["profile"]) == {"status", "reason", "recommendation"}


def test_the_page_data_carries_the_recommendations(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    import datetime as dt

    index = update_index(make_history(tmp_path, documents))
    view = build_view(index, generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    limits = [run.get("profile", {}).get("max_parallel") for run in view.data["runs"]]
    assert limits == [
        d["profile"]["recommendation"]["max_parallel_specs"] if d["profile"] else None for d in documents
    ]
