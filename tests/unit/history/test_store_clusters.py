"""The cluster of each run (issue 23) in the typed reading and in the index: name and versions, compact."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import (
    INDEX_FILE,
    SUMMARY_VERSION,
    ClusterSummary,
    HistoryError,
    HistoryIndex,
    add_run,
    run_from_json,
    update_index,
)
from pytest_streamstress.testing.histories import generate_history, name_cluster, write_results_dirs


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    """Two named clusters of three runs each, then two runs that name none."""
    east = name_cluster(
        generate_history(3, 6, seed=1), "ocp-east", openshift_version="4.16.12", operator_version="1.16.1"
    )
    west = name_cluster(
        generate_history(3, 6, seed=2), "ocp-west", openshift_version="4.14.38", operator_version="1.14.5"
    )
    return [*east, *west, *generate_history(2, 6, seed=3)]


def history_of(tmp_path: Path, documents: list[dict[str, Any]]) -> Path:
    history = tmp_path / "history"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(history, folder / "results.json")
    return history


def test_the_reader_reads_the_cluster_name_and_versions() -> None:
    run = run_from_json(
        {
            "cluster": {
                "name": "ocp-east",
                "kind": "kubeconfig",
                "openshift_version": "4.16.12",
                "operator_version": "1.16.1",
                "server": "https://api.east.example.com:6443",
            }
        },
        source="r.json",
    )

    assert run.cluster == ClusterSummary(
        name="ocp-east", openshift_version="4.16.12", operator_version="1.16.1"
    )


@pytest.mark.parametrize(
    "document",
    [{}, {"cluster": {"kind": "none"}}, {"cluster": {"kind": "none", "name": None}}],
    ids=["no-cluster", "no-name", "null-name"],
)
def test_a_run_that_names_no_cluster_reads_as_unnamed(document: dict[str, Any]) -> None:
    assert run_from_json(document, source="r.json").cluster == ClusterSummary()


def test_a_cluster_name_that_is_not_text_is_named_in_the_error() -> None:
    with pytest.raises(HistoryError, match=r"cluster\.name must be a string"):
        run_from_json({"cluster": {"kind": "none", "name": 7}}, source="r.json")


def test_each_summary_keeps_the_clusters_name_and_versions_and_nothing_else(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    update_index(history_of(tmp_path, documents))
    runs = json.loads((tmp_path / "history" / INDEX_FILE).read_text())["runs"]
    by_id = {run["id"]: run.get("cluster") for run in runs}

    assert by_id[documents[0]["run_id"]] == {
        "name": "ocp-east",
        "openshift_version": "4.16.12",
        "operator_version": "1.16.1",
    }
    assert by_id[documents[3]["run_id"]] == {
        "name": "ocp-west",
        "openshift_version": "4.14.38",
        "operator_version": "1.14.5",
    }
    assert by_id[documents[-1]["run_id"]] is None, "a run that names no cluster costs the index nothing"


def test_the_index_reads_back_with_each_runs_cluster(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    history = history_of(tmp_path, documents)
    index = update_index(history)

    again = HistoryIndex.from_json(json.loads((history / INDEX_FILE).read_text()))

    assert again == index
    assert sorted({run.cluster.name for run in again.runs}) == ["", "ocp-east", "ocp-west"]


def test_an_index_written_before_clusters_is_re_read_once_and_gains_them(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    history = history_of(tmp_path, documents)
    update_index(history)
    fresh = (history / INDEX_FILE).read_bytes()
    old = copy.deepcopy(json.loads(fresh))
    old["summary_version"] = 3
    for run in old["runs"]:
        run.pop("cluster", None)
    (history / INDEX_FILE).write_text(json.dumps(old))

    index = update_index(history)

    assert index.summary_version == SUMMARY_VERSION == 4
    assert (history / INDEX_FILE).read_bytes() == fresh
