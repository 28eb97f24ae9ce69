"""Parallel runs are safe: admin scenarios never overlap another; auto parallelism comes from the history."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.run.parallel import last_recommendation

pytestmark = pytest.mark.tools


def _spec(name: str, tag: str) -> str:
    return textwrap.dedent(f"""\
        # Spec {name}

        ## {name} one: PIPELINES-94-TC{name}1
        Tags: e2e, {tag}
        * Create "a.yaml"

        ## {name} two: PIPELINES-94-TC{name}2
        Tags: e2e, {tag}
        * Create "b.yaml"
        """)


def test_admin_scenarios_never_run_beside_another_with_three_workers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_project: Callable[..., Path]
) -> None:
    record = pytester.path / "record.jsonl"
    monkeypatch.setenv("GAUGE_STANDIN_RECORD", str(record))
    tags = {"1": "non-admin", "2": "non-admin", "3": "admin", "4": "non-admin", "5": "non-admin"}
    root = gauge_project(
        {f"s{name}.spec": _spec(name, tag) for name, tag in tags.items()},
        outcomes='[[scenario]]\nmatch = "."\nstatus = "pass"\nsleep_s = 0.4\n',
    )
    result = pytester.runpytest_subprocess(
        "--streamstress",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        "--streamstress-parallel=3",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        timeout=180,
    )
    result.assert_outcomes(passed=10)
    runs: list[dict[str, Any]] = [
        json.loads(line) for line in record.read_text().splitlines() if line.strip()
    ]
    assert len({r["pid"] for r in runs}) > 1, "the specs should have been spread over several gauge processes"
    admin = [r for r in runs if r["spec"].endswith("s3.spec")]
    others = [r for r in runs if not r["spec"].endswith("s3.spec")]
    assert len(admin) == 2
    admin_start = min(r["start"] for r in admin)
    admin_end = max(r["end"] for r in admin)
    overlapping = [r for r in others if r["start"] < admin_end and admin_start < r["end"]]
    assert overlapping == []


def test_auto_takes_the_last_profile_recommendation(tmp_path: Path) -> None:
    for run_id, count in (("run-20261101T000000Z-aaaaaa", 4), ("run-20261102T000000Z-bbbbbb", 2)):
        folder = tmp_path / "runs" / run_id
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(
            json.dumps({"profile": {"recommendation": {"max_parallel_specs": count}}})
        )
    newest_without = tmp_path / "runs" / "run-20261103T000000Z-cccccc"
    newest_without.mkdir()
    (newest_without / "results.json").write_text(json.dumps({"profile": None}))
    assert last_recommendation(tmp_path) == 2
    assert last_recommendation(tmp_path / "missing") is None


def test_auto_prefers_this_clusters_runs_asked_the_same_way(tmp_path: Path) -> None:
    """Another cluster's recommendation, or a `-k` rerun's made under the load of two scenarios, set
    the nightly's workers."""

    def run(run_id: str, count: int, **extra: Any) -> None:
        folder = tmp_path / "runs" / run_id
        folder.mkdir(parents=True)
        document = {"profile": {"recommendation": {"max_parallel_specs": count}}, **extra}
        (folder / "results.json").write_text(json.dumps(document))

    run("run-20261101T000000Z-aaaaaa", 2)  # the nightly
    run("run-20261102T000000Z-bbbbbb", 8, settings={"selection": "-k TC02"})  # a rerun at noon
    run("run-20261103T000000Z-cccccc", 4, cluster={"kind": "kubeconfig", "name": "ocp-4-16"})
    assert last_recommendation(tmp_path) == 2
    assert last_recommendation(tmp_path, selection="-k TC02") == 8
    assert last_recommendation(tmp_path, selection="-k other") == 8, "else the cluster's newest"
    assert last_recommendation(tmp_path, cluster="ocp-4-16") == 4
    assert last_recommendation(tmp_path, cluster="ocp-4-18") is None
