"""The docker/podman stand-in: real command lines and output shapes, per-tool differences, failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = pytest.mark.tools


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "console-plugin"
    root.mkdir()
    (root / "Dockerfile").write_text(
        "FROM registry.access.redhat.com/ubi9/nodejs-22 AS builder\nRUN yarn install && yarn build\n"
        "FROM registry.access.redhat.com/ubi9/nginx-124\n"
        "COPY --from=builder /app/dist /usr/share/nginx/html\n",
        encoding="utf-8",
    )
    (root / "index.ts").write_text("export {}\n", encoding="utf-8")
    return root


def tool(tmp_path: Path, prog: str, *args: str) -> _proc.Completed:
    bin_dir = install_standins(tmp_path / "bin", ("docker", "podman"))
    env = {
        **os.environ,
        "PATH": path_with(bin_dir),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
    }
    return _proc.run([prog, *args], timeout=60, cwd=tmp_path, env=env)


@pytest.mark.parametrize(("prog", "text"), [("docker", "Docker version "), ("podman", "podman version ")])
def test_version_prints_the_tool_s_banner(tmp_path: Path, prog: str, text: str) -> None:
    done = tool(tmp_path, prog, "--version")
    assert done.ok and done.stdout.startswith(text)


def test_podman_build_prints_steps_commit_and_the_image_id(tmp_path: Path, context: Path) -> None:
    done = tool(tmp_path, "podman", "build", "-t", "reg.example/ns/console-plugin:abc", str(context))
    lines = done.stdout.splitlines()
    assert done.ok
    assert lines[0] == "STEP 1/4: FROM registry.access.redhat.com/ubi9/nodejs-22 AS builder"
    assert "COMMIT reg.example/ns/console-plugin:abc" in lines
    assert len(lines[-1]) == 64


def test_docker_build_prints_the_classic_builder_lines(tmp_path: Path, context: Path) -> None:
    done = tool(tmp_path, "docker", "build", "-t", "reg.example/ns/console-plugin", str(context))
    assert "Step 2/4 : RUN yarn install && yarn build" in done.stdout
    assert "Successfully tagged reg.example/ns/console-plugin:latest" in done.stdout


def test_same_context_gives_the_same_image_id(tmp_path: Path, context: Path) -> None:
    first = tool(tmp_path, "podman", "build", "-t", "a/b/c:1", str(context)).stdout.splitlines()[-1]
    second = tool(tmp_path, "podman", "build", "-t", "a/b/c:2", str(context)).stdout.splitlines()[-1]
    (context / "index.ts").write_text("export const x = 1\n", encoding="utf-8")
    third = tool(tmp_path, "podman", "build", "-t", "a/b/c:3", str(context)).stdout.splitlines()[-1]
    assert first == second != third


def test_fail_build_file_fails_the_first_run_step(tmp_path: Path, context: Path) -> None:
    (context / "FAIL_BUILD").write_text("error: Cannot find module 'react'\n", encoding="utf-8")
    done = tool(tmp_path, "docker", "build", "-t", "a/b/c", str(context))
    assert done.returncode == 1
    assert "error: Cannot find module 'react'" in done.stdout
    assert "returned a non-zero code: 1" in done.stderr


def test_missing_containerfile_is_podman_s_error(tmp_path: Path, context: Path) -> None:
    (context / "Dockerfile").unlink()
    done = tool(tmp_path, "podman", "build", "-t", "a/b/c", str(context))
    assert done.returncode == 125
    assert "no Containerfile or Dockerfile specified or found in context directory" in done.stderr


def test_docker_push_has_no_tls_verify_flag(tmp_path: Path) -> None:
    done = tool(tmp_path, "docker", "push", "--tls-verify=false", "a/b/c:1")
    assert done.returncode == 125
    assert done.stderr.startswith("unknown flag: --tls-verify")


def test_pushing_an_image_never_built_is_the_tool_s_error(tmp_path: Path) -> None:
    podman = tool(tmp_path, "podman", "push", "reg.example/ns/none:1")
    docker = tool(tmp_path, "docker", "push", "reg.example/ns/none:1")
    assert (podman.returncode, podman.stderr.strip()) == (
        125,
        "Error: reg.example/ns/none:1: image not known",
    )
    assert "An image does not exist locally with the tag: reg.example/ns/none" in docker.stderr


def test_push_to_an_unreachable_registry_names_the_request(tmp_path: Path, context: Path) -> None:
    tool(tmp_path, "podman", "build", "-t", "127.0.0.1:9/ns/console-plugin:1", str(context))
    done = tool(tmp_path, "podman", "push", "--tls-verify=false", "127.0.0.1:9/ns/console-plugin:1")
    assert done.returncode == 125
    assert 'Get "https://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9' in done.stderr


def test_image_inspect_digest_format_prints_the_manifest_digest(tmp_path: Path, context: Path) -> None:
    tool(tmp_path, "podman", "build", "-t", "a/b/c:1", str(context))
    done = tool(tmp_path, "podman", "image", "inspect", "--format", "{{.Digest}}", "a/b/c:1")
    assert done.ok and done.stdout.startswith("sha256:") and len(done.stdout.strip()) == 71
