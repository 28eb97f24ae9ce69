"""Builds that push: the stand-ins against the emulator's OCI registry over real HTTP.

The registry is the emulator's (`testing/emulator/registry.py`), started alone: it checks the token
like OpenShift's registry, accepts only `<namespace>/<image>` names, and serves TLS with a CA of its
own, which the builds are given as the cluster's ingress CA (issue 19): the tools verify it.
`has_image` answers what a pod could pull, on the in-cluster service host too.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_streamstress import build
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress.build import BuildOptions, RegistryTarget
from pytest_streamstress.model import (
    BuildStatus,
    BuildSystem,
    ComponentName,
    ComponentRequest,
    ComponentSpec,
    ImageSpec,
)
from pytest_streamstress.testing.emulator.faults import Faults
from pytest_streamstress.testing.emulator.registry import INTERNAL_HOST, Registry
from pytest_streamstress.testing.emulator.tls import make_server_tls
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = [pytest.mark.tools, pytest.mark.emulator]

TOKEN = Secret("sha256~emulated-registry-token-0123456789")


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    served = Registry(token=TOKEN, faults=Faults())
    served.start(tls=make_server_tls(tmp_path / "registry-tls", ca_name="test-ingress-ca"))
    yield served
    served.stop()


def cluster_target(registry: Registry) -> RegistryTarget:
    """The registry as a session sees the cluster's: its route, the token, the ingress CA."""
    return RegistryTarget.cluster(registry.host, token=TOKEN, ca_pem=registry.ca_pem, ca_source="the test CA")


def trusting(env: dict[str, str], registry: Registry, tmp_path: Path) -> dict[str, str]:
    """`env` with the registry's CA in SSL_CERT_FILE, for running ko by hand."""
    ca = tmp_path / "registry-ca.crt"
    ca.write_bytes(registry.ca_pem)
    return {**env, "SSL_CERT_FILE": str(ca)}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = install_standins(tmp_path / "bin", ("ko", "docker", "podman"))
    return {
        **os.environ,
        "PATH": path_with(bin_dir),
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
    }


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "U",
        "GIT_AUTHOR_EMAIL": "u@example.com",
        "GIT_COMMITTER_NAME": "U",
        "GIT_COMMITTER_EMAIL": "u@example.com",
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


def upstream(root: Path, files: dict[str, str]) -> tuple[Path, Path]:
    work = root / "work"
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text, encoding="utf-8")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial")
    bare = root / "upstream.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    return work, bare


def pipeline_spec(repo: Path) -> ComponentSpec:
    return ComponentSpec(
        name=ComponentName("pipeline"),
        repo=str(repo),
        build=BuildSystem.KO,
        installer_sets=(),
        images=(
            ImageSpec(
                name="pipeline-controller",
                path="./cmd/controller",
                env_vars=("IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",),
            ),
            ImageSpec(name="pipeline-webhook", path="./cmd/webhook", env_vars=("IMAGE_PIPELINES_WEBHOOK",)),
        ),
    )


GO_FILES = {
    "go.mod": "module github.com/tektoncd/pipeline\n\ngo 1.22\n",
    "cmd/controller/main.go": "package main // controller\n",
    "cmd/webhook/main.go": "package main // webhook\n",
}


def test_pipeline_at_a_pull_request_is_pushed_and_pullable_by_digest(
    tmp_path: Path, env: dict[str, str], registry: Registry
) -> None:
    work, bare = upstream(tmp_path, GO_FILES)
    (work / "cmd" / "controller" / "main.go").write_text("package main // PR 7\n", encoding="utf-8")
    git(work, "commit", "-q", "-am", "fix: the PR")
    pr_sha = git(work, "rev-parse", "HEAD")
    git(work, "push", "-q", str(bare), "HEAD:refs/pull/7/head")
    target = cluster_target(registry)
    (result,) = build.build_components(
        [(pipeline_spec(bare), ComponentRequest(name=ComponentName("pipeline"), pull_request=7))],
        options=BuildOptions(jobs=2, timeout_s=120),
        registry=target,
        work_dir=tmp_path / "w",
        log_dir=tmp_path / "logs",
        cache_dir=tmp_path / "cache",
        env=env,
        redactor=Redactor(),
    )
    assert result.status is BuildStatus.BUILT, result.error
    assert result.source is not None and result.source.sha == pr_sha
    assert registry.repositories() == [
        "tekton-upstream/pipeline-controller",
        "tekton-upstream/pipeline-webhook",
    ]
    for image in result.images:
        assert image.ref.startswith(f"{INTERNAL_HOST}/tekton-upstream/{image.name}@sha256:")
        assert registry.has_image(image.ref)
    assert result.log_path is not None and TOKEN.reveal() not in result.log_path.read_text(encoding="utf-8")


def test_console_plugin_is_built_and_pushed_with_podman(
    tmp_path: Path, env: dict[str, str], registry: Registry
) -> None:
    _, bare = upstream(
        tmp_path, {"Dockerfile": "FROM scratch\nCOPY dist /html\n", "dist/index.html": "<p>\n"}
    )
    spec = ComponentSpec(
        name=ComponentName("console-plugin"),
        repo=str(bare),
        build=BuildSystem.CONTAINERFILE,
        installer_sets=(),
        images=(ImageSpec(name="console-plugin", path=".", env_vars=("IMAGE_PIPELINES_CONSOLE_PLUGIN",)),),
    )
    (result,) = build.build_components(
        [(spec, ComponentRequest(name=spec.name))],
        options=BuildOptions(container_tool="auto", timeout_s=120),
        registry=cluster_target(registry),
        work_dir=tmp_path / "w",
        log_dir=tmp_path / "logs",
        cache_dir=tmp_path / "cache",
        env=env,
    )
    assert result.status is BuildStatus.BUILT, result.error
    assert registry.has_image(result.images[0].ref)
    log = result.log_path.read_text(encoding="utf-8") if result.log_path else ""
    assert "--cert-dir" in log  # the ingress CA, verified: never --tls-verify=false unless asked
    assert "--tls-verify=false" not in log


def test_docker_push_reports_the_digest_the_registry_stored(
    tmp_path: Path, env: dict[str, str], registry: Registry
) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    config = tmp_path / "docker-config"
    config.mkdir()
    auth = base64.b64encode(f"anyone:{TOKEN.reveal()}".encode()).decode()
    (config / "config.json").write_text(
        json.dumps({"auths": {registry.host: {"auth": auth}}}), encoding="utf-8"
    )
    docker_env = {**env, "DOCKER_CONFIG": str(config)}
    tag = f"{registry.host}/tekton-upstream/console-plugin:1"
    _proc.run(["docker", "build", "-t", tag, str(context)], timeout=60, env=docker_env, check=True)
    pushed = _proc.run(["docker", "push", tag], timeout=60, env=docker_env, check=True)
    digest = build.containerfile.pushed_digest("docker", output=pushed.stdout, digest_file_text="")
    assert digest is not None and registry.resolve("tekton-upstream/console-plugin", "1") == digest


def test_push_without_credentials_is_refused_as_unauthorized(
    tmp_path: Path, env: dict[str, str], registry: Registry
) -> None:
    work, _ = upstream(tmp_path, GO_FILES)
    done = _proc.run(
        ["ko", "build", "--bare", "./cmd/controller"],
        timeout=60,
        cwd=work,
        env={
            **trusting(env, registry, tmp_path),
            "KO_DOCKER_REPO": f"{registry.host}/tekton-upstream/pipeline-controller",
        },
    )
    assert done.returncode == 1 and "UNAUTHORIZED" in done.stderr
    assert registry.repositories() == []


def test_three_level_names_are_rejected_which_is_why_builds_use_bare(
    tmp_path: Path, env: dict[str, str], registry: Registry
) -> None:
    work, _ = upstream(tmp_path, GO_FILES)
    target = cluster_target(registry)
    from pytest_streamstress.build.registry import auth_environment

    with auth_environment(target, base_env=env) as access:
        done = _proc.run(
            ["ko", "build", "-B", "./cmd/controller"],
            timeout=60,
            cwd=work,
            env={**env, **access.env, "KO_DOCKER_REPO": f"{registry.host}/tekton-upstream/pipeline"},
        )
    assert done.returncode == 1 and "NAME_INVALID" in done.stderr


def test_multi_platform_build_pushes_an_index_and_records_its_digest(
    tmp_path: Path, env: dict[str, str], registry: Registry
) -> None:
    _, bare = upstream(tmp_path, GO_FILES)
    (result,) = build.build_components(
        [(pipeline_spec(bare), ComponentRequest(name=ComponentName("pipeline")))],
        options=BuildOptions(platform="linux/amd64,linux/arm64", timeout_s=120),
        registry=cluster_target(registry),
        work_dir=tmp_path / "w",
        log_dir=tmp_path / "logs",
        cache_dir=tmp_path / "cache",
        env=env,
    )
    assert result.status is BuildStatus.BUILT, result.error
    ref = result.images[0].ref
    manifest = registry.manifest("tekton-upstream/pipeline-controller", ref.split("@")[1])
    assert manifest is not None and manifest[1] == "application/vnd.oci.image.index.v1+json"
