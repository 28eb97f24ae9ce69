"""Fixtures for tests that talk to the OpenShift emulator over real HTTP(S).

`make_emulator(**kwargs)` starts a fresh `Emulator` in `tmp_path` (stopped at teardown);
`emulator` is an API-only one (no controllers, no seed) with namespaces `default` and `demo`;
`kube` is an official-client `ApiClient` loaded from its kubeconfig. `run_entrypoint(emu, labels)`
pushes an entrypoint image with those labels and has the operator roll the pipelines controller
onto it, as a deploy of a built entrypoint would (returns the image reference). `session_runner`
runs a whole emulated session in its own process and stops it with real signals on chosen output
lines. `joined_cluster` starts an installed emulator that every session the test starts joins (as
`--clusters` members do), and `joined_args(root, results, *extra)` is such a session's command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.errors import WaitTimeout
from pytest_streamstress.testing.emulator import Emulator, manifests, seed
from pytest_streamstress.testing.standins import _oci

MakeEmulator = Callable[..., Emulator]
JoinedArgs = Callable[..., list[str]]


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[MakeEmulator]:
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        workdir = tmp_path / f"emulator-{len(started)}"
        emulator = Emulator(workdir, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: MakeEmulator) -> Emulator:
    emulator = make_emulator(state="empty", controllers=False)
    ns_type = emulator.store.rtype("v1", "Namespace")
    for name in ("default", "demo"):
        emulator.store.create(ns_type, {"metadata": {"name": name}})
    return emulator


@pytest.fixture
def kube(emulator: Emulator) -> Iterator[Any]:
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(emulator.kubeconfig))
    yield client
    client.close()


@pytest.fixture
def run_entrypoint() -> Callable[[Emulator, dict[str, str]], str]:
    def run(emulator: Emulator, labels: dict[str, str]) -> str:
        image = _oci.make_image(
            content_hash="entrypoint", platform="linux/amd64", entrypoint="/ko-app/entrypoint", labels=labels
        )
        registry = emulator.registry
        for blob in (image.config, image.layer):
            registry.finish_upload(registry.start_upload(), blob.data, blob.digest)
        digest = registry.put_manifest(
            "tekton-upstream/pipeline-entrypoint", "latest", image.manifest.data, _oci.MANIFEST_TYPE
        )
        ref = f"{registry.host}/tekton-upstream/pipeline-entrypoint@{digest}"
        _roll_the_controller_onto(emulator, ref)
        return ref

    return run


def _roll_the_controller_onto(emulator: Emulator, entrypoint: str) -> None:
    """A new operator env, then the pipeline sets re-created from it (what a deploy does)."""
    from kubernetes import client, config

    store = emulator.store
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(emulator.kubeconfig)))
    env = [{"name": "IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE", "value": entrypoint}]
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": manifests.LIFECYCLE_CONTAINER, "env": env}]}}}
    }
    apps.patch_namespaced_deployment(manifests.OPERATOR_DEPLOYMENT, manifests.OPERATOR_NAMESPACE, patch)

    def operator_rolled() -> bool:
        pods, _ = store.list(
            store.rtype("v1", "Pod"),
            manifests.OPERATOR_NAMESPACE,
            label_selector=f"name={manifests.OPERATOR_DEPLOYMENT}",
        )
        ready = [
            p
            for p in pods
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]
        return len(ready) == 1 and any(
            e.get("value") == entrypoint for c in ready[0]["spec"]["containers"] for e in c.get("env", [])
        )

    seed.wait_for(store, operator_rolled, what="operator restarted with the new entrypoint", timeout=30)
    sets = store.rtype("operator.tekton.dev/v1alpha1", "TektonInstallerSet")
    for tis in store.list(sets)[0]:
        if tis["metadata"]["labels"].get("operator.tekton.dev/created-by") == "TektonPipeline":
            store.delete(sets, None, tis["metadata"]["name"])

    def controller_runs_it() -> bool:
        pods, _ = store.list(
            store.rtype("v1", "Pod"),
            manifests.TARGET_NAMESPACE,
            label_selector="app=tekton-pipelines-controller",
        )
        return (
            len(pods) == 1
            and pods[0]["status"].get("phase") == "Running"
            and (entrypoint in pods[0]["spec"]["containers"][0].get("args", []))
        )

    seed.wait_for(
        store, controller_runs_it, what="the pipelines controller on the new entrypoint", timeout=30
    )


# -- a real session in its own process, stopped by real signals (issue 19) ------------------------------

STOP_TAG_ENV = "STREAMSTRESS_TEST_STOP_TAG"
"""Every process of a stopped session inherits this variable: how a test finds what outlived it."""
SESSION_WAIT_S = 300.0
"""Bound for one whole emulated session, signals and cleanup included (a loaded 2-core CI machine)."""


@dataclass
class Stopped:
    """How a stopped session ended: exit code, its output, where its results are."""

    returncode: int
    output: str
    results_dir: Path
    sent: list[str]

    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.results_dir / "results.json").read_text(encoding="utf-8"))
        return data


class SessionRunner:
    """`pytest --streamstress --cluster emulated ...` in its own process; signals go out on output lines.

    `run(args, signals=[(predicate, "SIGTERM"), ...])` sends each signal once, in order, when a line
    satisfies its predicate. The session's temporary directory is private (TMPDIR), so a test can
    see every `streamstress-auth-*` directory it left, and every process it started carries a tag.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, STOP_TAG_ENV: self.tag, "TMPDIR": str(self.tmp), **extra}
        env.pop("KUBECONFIG", None)
        env.pop("STREAMSTRESS_SHARED_DIR", None)
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        signals: Sequence[tuple[Callable[[str], bool], str]] = (),
        signal_when: tuple[Callable[[], bool], str] | None = None,
        env: Mapping[str, str] | None = None,
        results_dir: Path | None = None,
    ) -> Stopped:
        results = results_dir or self.root / "results"
        pending = list(signals)
        sent: list[str] = []
        lines: list[str] = []
        lock = threading.Lock()
        holder: dict[str, _proc.Running] = {}
        started = threading.Event()

        def on_line(_stream: str, line: str) -> None:
            started.wait(SESSION_WAIT_S)  # the pid is known from here on
            with lock:
                lines.append(line)
                if not pending or not pending[0][0](line):
                    return
                _predicate, name = pending.pop(0)
                sent.append(name)
            with contextlib.suppress(ProcessLookupError):  # it may have ended on its own meanwhile
                os.kill(holder["running"].pid, getattr(signal, name))

        argv = [
            sys.executable,
            "-m",
            "pytest",
            "--streamstress",
            "--cluster",
            "emulated",
            "-p",
            "no:cacheprovider",
            f"--results-dir={results}",
            *args,
        ]
        holder["running"] = _proc.spawn(argv, cwd=self.root, env=env or self.env(), on_line=on_line)
        started.set()
        if signal_when is not None:
            threading.Thread(
                target=self._signal_when, args=(holder["running"], *signal_when, sent), daemon=True
            ).start()
        done = holder["running"].wait(timeout=SESSION_WAIT_S)
        with lock:
            output = "\n".join(lines)
        return Stopped(returncode=done.returncode, output=output, results_dir=results, sent=sent)

    @staticmethod
    def _signal_when(
        running: _proc.Running, condition: Callable[[], bool], name: str, sent: list[str]
    ) -> None:
        """Send `name` once `condition()` holds (polled, bounded): for states no output line shows."""

        def probe() -> Probe:
            return Probe(done=running.poll() is not None or condition(), state="")

        with contextlib.suppress(WaitTimeout):
            wait_until(probe, what="the condition to signal on", timeout=SESSION_WAIT_S, poll=0.05)
        if running.poll() is None:
            sent.append(name)
            with contextlib.suppress(ProcessLookupError):
                os.kill(running.pid, getattr(signal, name))

    def kill_strays(self) -> None:
        """SIGKILL leaves the session's own process groups running: end them as an operator would."""
        for entry in _tagged(self.tag):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.split(":", 1)[0]), signal.SIGKILL)

    def stray_processes(self) -> list[str]:
        """Live processes that carry this runner's tag (bounded wait: killed ones take a moment to go)."""
        found: list[str] = []

        def probe() -> Probe:
            found[:] = _tagged(self.tag)
            return Probe(done=not found, state="; ".join(found))

        with contextlib.suppress(WaitTimeout):
            wait_until(probe, what="tagged processes", timeout=15, poll=0.1)
        return found

    def auth_dirs(self) -> list[Path]:
        return sorted(self.tmp.glob("streamstress-auth-*"))


def _tagged(tag: str) -> list[str]:
    marker = f"{STOP_TAG_ENV}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if marker in environ.split(b"\0") and state not in {"Z", "X"}:
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


@pytest.fixture
def session_runner(tmp_path: Path) -> SessionRunner:
    return SessionRunner(tmp_path)


# -- sessions that share one cluster with the test (the nightly, a person's run, the test itself) -------


@pytest.fixture
def joined_cluster(
    make_emulator: MakeEmulator, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> Emulator:
    """An installed emulator that outlives each session: what one session leaves, the next one finds."""
    from pytest_streamstress.testing.embedded import ENV_KUBECONFIG
    from pytest_streamstress.testing.standins import install_standins

    emulator = make_emulator(state="installed")
    install_standins(pytester.path / "bin")  # ko and docker beside gauge_project's gauge, on one PATH
    monkeypatch.setenv(ENV_KUBECONFIG, str(emulator.kubeconfig))
    monkeypatch.setenv("KUBECONFIG", str(emulator.kubeconfig))
    return emulator


@pytest.fixture
def joined_args() -> JoinedArgs:
    def args(root: Path, results: Path, *extra: str) -> list[str]:
        return [
            "--streamstress",
            "--cluster",
            "emulated",
            f"--release-tests-dir={root}",
            f"--results-dir={results}",
            "-p",
            "no:cacheprovider",
            *extra,
        ]

    return args
