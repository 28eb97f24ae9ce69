"""Clusters on the page (issue 23): the groups of report/fleet.py, each cluster's morning, no secrets.

The history is testing/morning.py's `fleet_history`: the same nights on two clusters, the first of
them (ocp-4-16) with the morning worth reading, the other with its own flakes.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import add_run, case_key, update_index
from pytest_streamstress.report.fleet import UNNAMED_ID, cluster_groups, group_index, worst_first
from pytest_streamstress.report.morning import run_name
from pytest_streamstress.report.site import build_site, build_view
from pytest_streamstress.testing.histories import generate_history, name_cluster, write_results_dirs
from pytest_streamstress.testing.morning import FLEET, MORNING_BREAKS, fleet_history

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
RUNS = 6
SCENARIOS = 30


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return fleet_history(RUNS, SCENARIOS)


def history_of(root: Path, documents: list[dict[str, Any]]) -> Path:
    for folder in write_results_dirs(documents, root / "results"):
        add_run(root / "history", folder / "results.json")
    return root / "history"


def of_cluster(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["cluster"]["name"] == name]


def test_a_history_of_one_named_cluster_has_no_groups(tmp_path: Path) -> None:
    named = name_cluster(generate_history(3, 6), "ocp-only", openshift_version="4.16.1")
    assert cluster_groups(update_index(history_of(tmp_path, named))) == ()


def test_a_history_that_names_no_cluster_has_no_groups(tmp_path: Path) -> None:
    assert cluster_groups(update_index(history_of(tmp_path, generate_history(3, 6)))) == ()


def test_each_cluster_is_a_group_by_name_with_its_newest_versions(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    upgraded = copy.deepcopy(documents)
    for document in of_cluster(upgraded, "ocp-4-14")[:-2]:
        document["cluster"]["openshift_version"] = "4.14.20"  # upgraded two nights ago
    groups = cluster_groups(update_index(history_of(tmp_path, upgraded)))

    assert [(g.id, g.label, g.versions) for g in groups] == [
        ("ocp-4-14", "ocp-4-14", "OCP 4.14.38 · operator 1.14.5"),
        ("ocp-4-16", "ocp-4-16", "OCP 4.16.12 · operator 1.16.1"),
    ]
    assert groups[0].runs == tuple(d["run_id"] for d in of_cluster(upgraded, "ocp-4-14"))


def test_runs_that_name_no_cluster_are_a_group_of_their_own_listed_last(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    unnamed = generate_history(2, SCENARIOS, seed=9)
    groups = cluster_groups(update_index(history_of(tmp_path, [*documents, *unnamed])))

    assert [(g.id, g.label) for g in groups][-1] == (UNNAMED_ID, "unnamed cluster")
    assert groups[-1].runs == tuple(d["run_id"] for d in unnamed)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"ocp-a": "passed", "ocp-b": "failed", "ocp-c": "interrupted"}, ["ocp-c", "ocp-b", "ocp-a"]),
        ({"ocp-a": "failed", "ocp-b": "error", "ocp-c": "incomplete"}, ["ocp-b", "ocp-c", "ocp-a"]),
        ({"ocp-a": "passed", "ocp-b": "passed", "ocp-c": "failed"}, ["ocp-c", "ocp-a", "ocp-b"]),
    ],
    ids=["interrupted-then-failed-then-passed", "error-before-incomplete-before-failed", "ties-by-name"],
)
def test_worst_first_orders_clusters_by_their_newest_verdict_then_by_name(
    tmp_path: Path, statuses: dict[str, str], expected: list[str]
) -> None:
    documents = fleet_history(3, SCENARIOS, clusters=[(name, "4.16.12", "1.16.1") for name in statuses])
    for name, status in statuses.items():
        of_cluster(documents, name)[-1]["verdict"]["status"] = status

    groups = worst_first(cluster_groups(update_index(history_of(tmp_path, documents))))

    assert [g.id for g in groups] == expected


def test_of_two_failed_clusters_the_one_with_new_upstream_regressions_comes_first(tmp_path: Path) -> None:
    groups = cluster_groups(update_index(history_of(tmp_path, fleet_history(3, SCENARIOS))))
    names = [g.id for g in groups]
    assert len(names) == 2

    assert [g.id for g in worst_first(groups, {names[0]: 0, names[1]: 2})] == names[::-1]
    assert [g.id for g in worst_first(groups, {names[0]: 1, names[1]: 1})] == names  # then by name


def test_the_morning_sections_come_worst_first_and_the_filter_stays_by_name(tmp_path: Path) -> None:
    documents = fleet_history(3, SCENARIOS, clusters=[("ocp-a", "", ""), ("ocp-b", "", "")])
    of_cluster(documents, "ocp-a")[-1]["verdict"]["status"] = "passed"
    of_cluster(documents, "ocp-b")[-1]["verdict"]["status"] = "failed"

    view = build_view(update_index(history_of(tmp_path, documents)), generated_at=NOW)

    assert [s.cluster.id for s in view.mornings if s.cluster] == ["ocp-b", "ocp-a"]
    assert [c.id for c in view.choices.clusters] == ["ocp-a", "ocp-b"]


def test_a_clusters_index_holds_its_runs_only(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    index = update_index(history_of(tmp_path, documents))
    group = cluster_groups(index)[1]

    own = group_index(index, group)

    assert own.run_ids() == tuple(d["run_id"] for d in of_cluster(documents, "ocp-4-16"))
    assert len(own.cells[0]) == RUNS


def test_each_cluster_has_its_own_morning_against_its_own_previous_run(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    index = update_index(history_of(tmp_path, documents))
    view = build_view(index, generated_at=NOW)
    by_cluster = {section.cluster.id: section.morning for section in view.mornings if section.cluster}

    # Both failed; ocp-4-16's newest run brought the new upstream regressions, so it comes first.
    assert list(by_cluster) == ["ocp-4-16", "ocp-4-14"]
    for name, morning in by_cluster.items():
        own = of_cluster(documents, name)
        assert morning.run_id == own[-1]["run_id"]
        previous = index.runs[index.run_ids().index(own[-2]["run_id"])]
        assert morning.compared_with == run_name(previous)
    breaks = {case_key(of_cluster(documents, FLEET[0][0])[-1]["scenarios"][n]) for n, *_ in MORNING_BREAKS}
    new_keys = {item.key for item in by_cluster["ocp-4-16"].regressions}
    new_keys |= {item.key for group in by_cluster["ocp-4-16"].new_groups for item in group.items}
    assert breaks <= new_keys
    assert not breaks & {item.key for item in by_cluster["ocp-4-14"].regressions}


def test_a_clusters_morning_links_to_the_grid_of_that_cluster(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    view = build_view(update_index(history_of(tmp_path, documents)), generated_at=NOW)
    [morning] = [s.morning for s in view.mornings if s.cluster is not None and s.cluster.id == "ocp-4-16"]

    assert morning.regressions_link == "#view=grid&chg=new&cat=upstream-regression&cluster=ocp-4-16"
    assert morning.still_link == "#view=grid&chg=still&cluster=ocp-4-16"


def test_a_single_cluster_page_has_one_morning_and_no_cluster_choice(tmp_path: Path) -> None:
    named = name_cluster(generate_history(3, 6), "ocp-only")
    view = build_view(update_index(history_of(tmp_path, named)), generated_at=NOW)

    assert [section.cluster for section in view.mornings] == [None]
    assert view.choices.clusters == ()
    assert "clusters" not in view.data
    morning = view.mornings[0].morning
    assert morning.still_link == "#view=grid&chg=still"
    assert morning.regressions_link == "#view=grid&chg=new&cat=upstream-regression"


def test_no_credential_or_kubeconfig_path_reaches_the_page(tmp_path: Path) -> None:
    documents = fleet_history(2, SCENARIOS)
    for document in documents:
        document["cluster"]["server"] = "https://api.secret-host.example.com:6443"
        document["settings"] = {
            "kubeconfig": "/home/qe/.kube/kubeconfig-secret",
            "token": "sha256~TOKENVALUE",
        }
    history = history_of(tmp_path, documents)

    page = build_site(history, tmp_path / "site")

    for published in (page, tmp_path / "site" / "index.json"):
        text = published.read_text(encoding="utf-8")
        assert "ocp-4-16" in text and "4.16.12" in text
        for secret in ("secret-host", "kubeconfig-secret", "TOKENVALUE"):
            assert secret not in text, (published.name, secret)
    assert json.loads((tmp_path / "site" / "index.json").read_text())["runs"][0]["cluster"].keys() == {
        "name",
        "openshift_version",
        "operator_version",
    }
