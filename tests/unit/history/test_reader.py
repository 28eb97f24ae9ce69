"""The one typed reader of results.json: partial documents read with defaults, bad fields are named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import (
    HistoryError,
    history_run_from_json,
    outcomes_from_json,
    parse_results,
    read_images_file,
    record_of,
    run_from_json,
)
from pytest_streamstress.model import Status
from pytest_streamstress.testing.histories import generate_run

SHA = "c" * 40


def test_a_partial_document_reads_with_defaults() -> None:
    run = run_from_json(
        {"scenarios": [{"nodeid": "n", "id": "specs/a.spec::X", "status": "failed"}]}, source="step.json"
    )

    (scenario,) = run.scenarios
    assert (run.run_id, run.status, run.components) == ("", None, ())
    assert (scenario.key, scenario.status, scenario.is_failing) == ("specs/a.spec::X", Status.FAILED, True)


def test_a_component_reads_its_commit_and_images() -> None:
    run = run_from_json(
        {
            "components": [
                {
                    "name": "pipeline",
                    "status": "built",
                    "commit": {"sha": SHA},
                    "images": [{"name": "p", "ref": "r/p@sha256:" + "a" * 64, "env_vars": ["IMAGE_P"]}],
                }
            ]
        },
        source="r.json",
    )

    component = run.component("pipeline")
    assert component is not None and component.sha == SHA and component.images[0].env_vars == ("IMAGE_P",)
    assert run.component("triggers") is None


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"status": "exploded"}, "status 'exploded' is not one of passed, failed, error, incomplete"),
        ({"scenarios": [{"id": "x", "status": "maybe"}]}, "scenarios[1].status 'maybe' is not one of"),
        ({"components": [{"name": "p", "status": "baked"}]}, "components[0].status 'baked' is not one of"),
        ({"components": [{"name": "p", "images": [{"name": "c"}]}]}, "components[0].images[0].ref must be"),
        ({"scenarios": [{"id": "x", "status": "passed", "attempts": "2"}]}, "scenarios[1].attempts must be"),
    ],
    ids=["run-status", "scenario-status", "component-status", "image-without-ref", "attempts-not-int"],
)
def test_a_field_of_the_wrong_kind_is_named_with_the_source(document: dict[str, Any], field: str) -> None:
    with pytest.raises(HistoryError, match=r"^step\.json: ") as caught:
        run_from_json(document, source="step.json")

    assert field in caught.value.reason


def test_the_history_admits_only_complete_runs() -> None:
    with pytest.raises(HistoryError, match=r"missing field\(s\) schema_version"):
        history_run_from_json({"scenarios": []}, source="r.json")


def test_the_index_record_is_the_reduction_of_the_typed_run() -> None:
    document = generate_run(3, runs=5, scenarios=8)

    run = history_run_from_json(document, source="r.json")

    assert record_of(run) == parse_results(document, source="r.json")
    assert record_of(run).summary.run_id == document["run_id"]


def test_the_analysis_view_keeps_outcomes_messages_and_commits() -> None:
    document = generate_run(3, runs=5, scenarios=8)

    outcomes = outcomes_from_json(document, source="r.json")

    assert outcomes.run_id == document["run_id"]
    assert set(outcomes.outcomes.values()) <= set(Status)
    assert len(outcomes.outcomes) == len(document["scenarios"])
    assert outcomes.components == {
        c["name"]: c["commit"]["sha"] for c in document["components"] if c.get("commit")
    }


def test_components_of_a_file_without_a_components_list_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"tests": []}), encoding="utf-8")

    with pytest.raises(HistoryError, match=r"other\.json: no 'components' list"):
        read_images_file(path)


def test_components_of_a_missing_file_say_so(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="file not found"):
        read_images_file(tmp_path / "absent.json")
