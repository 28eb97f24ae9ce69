"""Culprit ranges through a whole emulated session: results.json `analysis.culprits` and the terminal section.

The history holds one run where the scenario passed with pipeline at the upstream's first commit;
today's session builds pipeline two commits later and the scenario fails (gauge stand-in outcome
file), so the range is those two commits, read from the build's own cached clone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.report.results_json import stable_id

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SCENARIO = "Run sample pipeline: DEMO-03-TC01"
SPEC = "specs/pipelines/run.spec"
GOOD_RUN = "run-20261125T000000Z-000001"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


def test_new_failure_gets_the_commits_between_the_good_and_the_bad_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pytester.path
    work = root / "pipeline-work"
    (work / "cmd" / "controller").mkdir(parents=True)
    (work / "go.mod").write_text("module github.com/tektoncd/pipeline\n\ngo 1.22\n", encoding="utf-8")
    git(work, "init", "-q", "-b", "main")
    shas = []
    for subject in ("Initial controller", "Refactor the reconciler", "Change the default timeout"):
        (work / "cmd" / "controller" / "main.go").write_text(f"package main // {subject}\n", encoding="utf-8")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", subject)
        shas.append(git(work, "rev-parse", "HEAD"))
    bare = root / "pipeline.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    (root / "components.toml").write_text(
        f'[pipeline]\nrepo = "{bare}"\nbuild = "ko"\ntekton_config_field = "pipeline"\n'
        'installer_sets = [{ created_by = "TektonPipeline" }]\n'
        'images = [{ name = "pipeline-controller", path = "./cmd/controller",'
        ' env_vars = ["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"],'
        ' deployment = "tekton-pipelines-controller", container = "tekton-pipelines-controller" }]\n',
        encoding="utf-8",
    )
    good_run = root / "history" / "runs" / "run-20261125T000000Z-000001"
    good_run.mkdir(parents=True)
    (good_run / "results.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "run_id": "run-20261125T000000Z-000001",
                "started_at": "2026-11-25T00:00:00Z",
                "status": "passed",
                "components": [
                    {"name": "pipeline", "repo": str(bare), "status": "built", "commit": {"sha": shas[0]}},
                ],
                "scenarios": [
                    {
                        "nodeid": f"{SPEC}::{SCENARIO}",
                        "id": stable_id(SPEC, SCENARIO),
                        "spec": SPEC,
                        "scenario": SCENARIO,
                        "line": 3,
                        "tags": [],
                        "status": "passed",
                        "duration_s": 1.0,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    outcomes = '[[scenario]]\nmatch = "DEMO-03-TC01"\nstatus = "fail"\n'
    (root / "outcomes.toml").write_text(outcomes, encoding="utf-8")
    monkeypatch.setenv("GAUGE_STANDIN_OUTCOMES", str(root / "outcomes.toml"))

    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        f"--components=pipeline:{shas[2]}",
        f"--components-config={root / 'components.toml'}",
        f"--history={root / 'history'}",
        f"--results-dir={root / 'results'}",
        "-o",
        f"cache_dir={root / 'cache'}",
        f"{SPEC}::{SCENARIO}",
    )

    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    (culprit,) = document["analysis"]["culprits"]
    (pipeline,) = culprit["components"]
    assert (culprit["good_run"], culprit["reason"]) == ("run-20261125T000000Z-000001", "new-failure")
    assert [c["sha"] for c in pipeline["commits"]] == shas[1:]
    assert pipeline["commits"][0]["author"] == "Ada Lovelace"
    result.stdout.fnmatch_lines(
        [
            "*streamstress: culprit ranges*",
            f"{stable_id(SPEC, SCENARIO)} (new-failure): between {GOOD_RUN} (good) and run-* (bad)",
            f"  pipeline {shas[0][:12]}..{shas[2][:12]}: 2 commit(s)",
            f"    {shas[2][:12]} * Ada Lovelace: Change the default timeout",
        ]
    )
