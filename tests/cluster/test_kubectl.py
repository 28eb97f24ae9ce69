"""kubectl, a second and independent client, against the emulator: the standalone command (a real
subprocess, state `installed`) and an in-process emulator for logs and watches."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.emulator import Emulator

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.tools,
    pytest.mark.skipif(
        shutil.which("kubectl") is None,
        reason="kubectl is not installed (CI installs Debian's kubernetes-client)",
    ),
]

TIMEOUT = 30.0

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NAMESPACE, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: IMAGE
        env: [{name: A, value: "1"}]
"""

PIPELINE_RUN = """\
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: run, namespace: NAMESPACE}
spec: {pipelineRef: {name: p}, params: [{name: a, value: "1"}]}
"""


def kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None, timeout: float = TIMEOUT
) -> _proc.Completed:
    if args and args[0] in {"create", "apply"}:
        # The emulator serves no OpenAPI v2 (docs/emulator.md); kubectl before 1.2x needs it to validate.
        args = (args[0], "--validate=false", *args[1:])
    return _proc.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        timeout=timeout,
        stdin=stdin.encode() if stdin is not None else None,
    )


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`streamstress emulator --state installed` as a subprocess; yields its kubeconfig."""
    workdir = tmp_path_factory.mktemp("standalone")
    kubeconfig = workdir / "kubeconfig"
    ready = threading.Event()
    running = _proc.spawn(
        [
            sys.executable,
            "-m",
            "pytest_streamstress.cli.main",
            "emulator",
            "--kubeconfig",
            str(kubeconfig),
            "--state",
            "installed",
        ],
        log_to=workdir / "emulator.log",
        on_line=lambda _stream, line: ready.set() if "serving until" in line else None,
    )
    try:
        if not ready.wait(TIMEOUT):
            pytest.fail(f"the standalone emulator did not start within {TIMEOUT}s:\n{running.tail()}")
        yield kubeconfig
    finally:
        running.kill_group()
        running.wait(timeout=TIMEOUT, what="the standalone emulator")


@pytest.fixture
def namespace(standalone: Path, request: pytest.FixtureRequest) -> str:
    name = request.node.name.replace("_", "-")[:50].strip("-").lower()
    created = kubectl(
        standalone,
        "create",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
    )
    assert created.ok, created.tail()
    return name


def _get_json(kubeconfig: Path, *args: str) -> Any:
    result = kubectl(kubeconfig, "get", *args, "-o", "json")
    assert result.ok, result.tail()
    return json.loads(result.stdout)


def test_kubectl_get_csv_shows_the_installed_operator_succeeded(standalone: Path) -> None:
    result = kubectl(standalone, "get", "csv", "-n", "openshift-operators")
    assert result.ok, result.tail()
    row = next(
        line for line in result.stdout.splitlines() if line.startswith("openshift-pipelines-operator-rh.v")
    )
    assert row.split()[-1] == "Succeeded"


def test_kubectl_apply_creates_then_updates_with_the_last_applied_annotation(
    standalone: Path, namespace: str
) -> None:
    manifest = DEPLOYMENT.replace("NAMESPACE", namespace)
    first = kubectl(standalone, "apply", "-f", "-", stdin=manifest.replace("IMAGE", "nginx:1"))
    second = kubectl(standalone, "apply", "-f", "-", stdin=manifest.replace("IMAGE", "nginx:2"))
    assert (first.stdout.strip(), second.stdout.strip()) == (
        "deployment.apps/web created",
        "deployment.apps/web configured",
    )
    deployment = _get_json(standalone, "deployment", "web", "-n", namespace)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert "kubectl.kubernetes.io/last-applied-configuration" in deployment["metadata"]["annotations"]


def test_kubectl_strategic_patch_on_a_deployment_merges_env_by_name(standalone: Path, namespace: str) -> None:
    kubectl(
        standalone,
        "apply",
        "-f",
        "-",
        stdin=DEPLOYMENT.replace("NAMESPACE", namespace).replace("IMAGE", "x:1"),
    )
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "web", "env": [{"name": "B", "value": "2"}]}]}}
        }
    }
    result = kubectl(standalone, "patch", "deployment", "web", "-n", namespace, "-p", json.dumps(patch))
    assert result.ok, result.tail()
    env = _get_json(standalone, "deployment", "web", "-n", namespace)["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    assert [e["name"] for e in env] == ["A", "B"]


def test_kubectl_merge_and_json_patch_on_a_custom_kind(standalone: Path, namespace: str) -> None:
    kubectl(standalone, "apply", "-f", "-", stdin=PIPELINE_RUN.replace("NAMESPACE", namespace))
    merged = kubectl(
        standalone,
        "patch",
        "pipelinerun",
        "run",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        '{"spec":{"timeouts":{"pipeline":"1h"}}}',
    )
    jsoned = kubectl(
        standalone,
        "patch",
        "pipelinerun",
        "run",
        "-n",
        namespace,
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/spec/params/0/value","value":"2"}]',
    )
    assert merged.ok and jsoned.ok, merged.tail() + jsoned.tail()
    spec = _get_json(standalone, "pipelinerun", "run", "-n", namespace)["spec"]
    assert (spec["timeouts"], spec["params"]) == ({"pipeline": "1h"}, [{"name": "a", "value": "2"}])


def test_kubectl_strategic_patch_on_a_custom_kind_is_refused_like_the_real_server(
    standalone: Path, namespace: str
) -> None:
    kubectl(standalone, "apply", "-f", "-", stdin=PIPELINE_RUN.replace("NAMESPACE", namespace))
    result = kubectl(
        standalone,
        "patch",
        "pipelinerun",
        "run",
        "-n",
        namespace,
        "--type",
        "strategic",
        "-p",
        '{"spec":{"status":"Cancelled"}}',
    )
    assert not result.ok
    assert "UnsupportedMediaType" in result.stderr or "unknown format" in result.stderr


def test_kubectl_delete_removes_the_object(standalone: Path, namespace: str) -> None:
    kubectl(standalone, "apply", "-f", "-", stdin=PIPELINE_RUN.replace("NAMESPACE", namespace))
    deleted = kubectl(standalone, "delete", "pipelinerun", "run", "-n", namespace)
    assert deleted.ok, deleted.tail()
    missing = kubectl(standalone, "get", "pipelinerun", "run", "-n", namespace)
    assert not missing.ok
    assert 'pipelineruns.tekton.dev "run" not found' in missing.stderr


def test_kubectl_logs_prints_the_containers_log(emulator: Emulator) -> None:
    emulator.store.create(
        emulator.store.rtype("v1", "Pod"),
        {
            "metadata": {"name": "p", "namespace": "demo"},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            "status": {"phase": "Running"},
        },
    )
    emulator.store.append_log("demo", "p", "main", "hello\nworld\n")
    result = kubectl(emulator.kubeconfig, "logs", "p", "-n", "demo", "--tail", "1")
    assert (result.ok, result.stdout) == (True, "world\n")


def test_kubectl_get_pods_watch_prints_rows_until_the_request_timeout(emulator: Emulator) -> None:
    emulator.store.create(
        emulator.store.rtype("v1", "Pod"),
        {
            "metadata": {"name": "watched", "namespace": "demo"},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            "status": {"phase": "Running"},
        },
    )
    result = kubectl(emulator.kubeconfig, "get", "pods", "-n", "demo", "-w", "--request-timeout=2s")
    assert result.ok, result.tail()
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:3] == ["watched", "0/1", "Running"]


def test_the_standalone_command_never_prints_its_token(standalone: Path) -> None:
    token = next(
        line.split("token:", 1)[1].strip() for line in standalone.read_text().splitlines() if "token:" in line
    )
    output = (standalone.parent / "emulator.log").read_text()
    assert "api: https://127.0.0.1:" in output
    assert token not in output
