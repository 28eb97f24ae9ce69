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
        assert not (path.parent / "site").exists()  # a shard is part of a run: no dashboard of its own
        jsonschema.validate(documents[-1], load_schema())

    ran = [(doc["shards"]["index"], s["spec"]) for doc in documents for s in doc["scenarios"]]
    expected = [f"specs/{name}" for name, body in SPECS.items() for _ in range(body.count("## "))]
    assert sorted(spec for _, spec in ran) == sorted(expected)
    assert all(s["shard"] == doc["shards"]["index"] for doc in documents for s in doc["scenarios"])
    plans = [ShardPlan.from_json(doc["shards"]["plan"]) for doc in documents]
    assert plans[0] == plans[1]
    assert [shard.scenarios for shard in plans[0].shards] == [4, 4]  # no history: split by scenario count

    # The matrix's artifacts merged into one run, which alone joins the history.
    from pytest_streamstress.cli import main as cli
    from pytest_streamstress.history.store import load_index

    folders = [pytester.path / f"results-{shard}" for shard in ("0-2", "1-2")]
    history = pytester.path / "history"
    code = cli.main(["merge", str(pytester.path / "merged"), *map(str, folders), "--history", str(history)])
    merged = json.loads((pytester.path / "merged" / "results.json").read_text())
    jsonschema.validate(merged, load_schema())
    assert code == 0
    assert sorted(s["nodeid"] for s in merged["scenarios"]) == sorted(
        s["nodeid"] for doc in documents for s in doc["scenarios"]
    )
    assert [s["status"] for s in merged["shards"]["summaries"]] == ["finished", "finished"]
    assert load_index(history).run_ids() == (merged["run_id"],)

    # A shard whose artifact is missing: its scenarios are harness errors, the run is incomplete.
    code = cli.main(["merge", str(pytester.path / "half"), str(folders[0])])
    half = json.loads((pytester.path / "half" / "results.json").read_text())
    assert code == 1
    assert (half["status"], half["exit_code"]) == ("incomplete", 1)
    lost = [s for s in half["scenarios"] if s["shard"] == 1]
    assert lost and all(s["status"] == "error" and s["category"] == "harness" for s in lost)
    assert all("no results.json was given for shard 1" in s["message"] for s in lost)


def test_merge_refuses_files_that_are_not_shards_of_one_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_streamstress.cli import main as cli

    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"schema_version": 1, "run_id": "r", "scenarios": []}))
    assert cli.main(["merge", str(tmp_path / "out"), str(plain)]) == 2
    err = capsys.readouterr().err
    assert f"{plain}: not a shard's results.json" in err and "--shard I/N" in err
    assert cli.main(["merge", str(tmp_path / "out"), str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


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
