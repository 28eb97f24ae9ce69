"""`--shard INDEX/COUNT` by hand (a CI matrix job): the same plan everywhere, each spec once (issue 23)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from pytest_streamstress.profile.shards import ShardPlan
from pytest_streamstress.report.results_json import load_schema
from pytest_streamstress.testing.histories import generate_history

pytestmark = pytest.mark.tools


def _spec(name: str, scenarios: int) -> str:
    body = "".join(
        f'\n## {name} {i}: PIPELINES-95-TC{name}{i}\nTags: e2e\n* Create "{name}{i}.yaml"\n'
        for i in range(scenarios)
    )
    return f"# Spec {name}\n{body}"


SPECS = {"a.spec": _spec("a", 3), "b.spec": _spec("b", 1), "c.spec": _spec("c", 2), "d.spec": _spec("d", 2)}


def _run_shard(pytester: pytest.Pytester, root: Path, shard: str, *extra: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--streamstress",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        f"--shard={shard}",
        f"--results-dir={pytester.path / ('results-' + shard.replace('/', '-'))}",
        "-p",
        "no:cacheprovider",
        *extra,
        timeout=180,
    )


def test_every_shard_of_a_matrix_runs_its_own_specs_and_together_they_run_each_once(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    root = gauge_project(SPECS)
    documents = []
    for shard in ("0/2", "1/2"):
        result = _run_shard(pytester, root, shard)
        assert result.ret == 0, result.stdout.str()
        result.stdout.fnmatch_lines([f"streamstress: shard {shard}: * scenarios, expected time unknown*"])
        path = pytester.path / f"results-{shard.replace('/', '-')}" / "results.json"
        documents.append(json.loads(path.read_text()))
        jsonschema.validate(documents[-1], load_schema())

    ran = [(doc["shards"]["index"], s["spec"]) for doc in documents for s in doc["scenarios"]]
    expected = [f"specs/{name}" for name, body in SPECS.items() for _ in range(body.count("## "))]
    assert sorted(spec for _, spec in ran) == sorted(expected)
    assert all(s["shard"] == doc["shards"]["index"] for doc in documents for s in doc["scenarios"])
    plans = [ShardPlan.from_json(doc["shards"]["plan"]) for doc in documents]
    assert plans[0] == plans[1]
    assert [shard.scenarios for shard in plans[0].shards] == [4, 4]  # no history: split by scenario count


def test_the_history_durations_balance_the_plan(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    root = gauge_project(SPECS)
    history = pytester.path / "history"
    run = generate_history(1, 1)[0]
    run["scenarios"] = [
        {**run["scenarios"][0], "spec": spec, "scenario": f"x{spec}", "id": f"x{spec}", "duration_s": seconds}
        for spec, seconds in (("specs/a.spec", 10.0), ("specs/b.spec", 300.0), ("specs/c.spec", 20.0))
    ]
    folder = history / "runs" / run["run_id"]
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(run))

    result = _run_shard(pytester, root, "0/2", f"--history={history}")

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*shard 0/2: 1 specs, 1 scenarios, ~5.0 min expected: specs/b.spec"])


def test_shards_without_in_cluster_is_a_usage_error_naming_shard(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--streamstress", "--shards=4", "--skip-build", "--skip-deploy")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--shards 4 needs --in-cluster*--shard INDEX/COUNT*"])


def test_a_bad_shard_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--streamstress", "--shard=4/4", "--skip-build", "--skip-deploy")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--shard*'4/4'*outside 0..3*"])


def test_shards_with_restore_on_a_real_cluster_is_a_usage_error_naming_streamstress_restore(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest_subprocess(
        "--streamstress", "--in-cluster", "--shards=2", "--restore", "--skip-build", "--skip-deploy"
    )

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--restore with --shards 2*`streamstress restore` once `streamstress collect DIR`*"]
    )


def test_the_shard_can_come_from_the_ini_file(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    root = gauge_project(SPECS)
    pytester.makeini("[pytest]\nstreamstress_shard = 1/2\n")

    result = pytester.runpytest_subprocess(
        "--streamstress",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        timeout=180,
    )

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["streamstress: shard 1/2: * scenarios, expected time unknown*"])
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert document["shards"]["index"] == 1
