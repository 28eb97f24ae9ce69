"""The embedded default: `--cluster emulated` runs the whole loop on one machine with no cluster.

Started once per session on the controller (xdist workers inherit the environment it sets): the
OpenShift emulator in a background thread with the operator installed, the ko/docker/podman/gauge
stand-ins first on PATH, `KUBECONFIG` pointing at the emulator, and, when no release-tests checkout
is given, the bundled demo suite and its scripted outcomes. Every output says "emulated".
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pytest_streamstress.testing.standins import install_standins, path_with

if TYPE_CHECKING:
    from pytest_streamstress.testing.emulator import Emulator

log = logging.getLogger(__name__)

DEMO_SUITE: Final = Path(__file__).resolve().parent / "demo"
ENV_KUBECONFIG: Final = "STREAMSTRESS_EMULATOR_KUBECONFIG"
"""Set by the controller so xdist workers reuse its emulator instead of starting their own."""
PROFILE_INTERVAL_S: Final = 0.2
"""The `--profile-interval` default on the emulated cluster: its scenario pods live for about a
second (the demo's PipelineRuns, docs/emulator.md), where a real cluster's live for minutes."""
FAULTS_ENV: Final = "STREAMSTRESS_EMULATOR_FAULTS"
"""JSON object of `Faults` fields for the embedded emulator, e.g. `{"slow_operator_s": 3}` (tests, demos)."""


@dataclass
class EmbeddedCluster:
    """A running emulator plus the environment changes made for it (undone by `stop`)."""

    kubeconfig: Path
    bin_dir: Path
    saved_env: dict[str, str | None] = field(default_factory=dict)
    emulator: object | None = None

    def stop(self) -> None:
        restore_env(self.saved_env)
        stop = getattr(self.emulator, "stop", None)
        if callable(stop):
            stop()


def set_env(saved: dict[str, str | None], key: str, value: str) -> None:
    """Set an environment variable, remembering its first value in `saved` for `restore_env`."""
    saved.setdefault(key, os.environ.get(key))
    os.environ[key] = value


def restore_env(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def start_emulator(workdir: Path) -> Emulator:
    """An emulated cluster with OpenShift Pipelines installed, started, with `FAULTS_ENV` applied."""
    from pytest_streamstress.testing.emulator import Emulator

    workdir.mkdir(parents=True, exist_ok=True)
    emulator = Emulator(workdir, state="installed")
    emulator.start()
    emulator.faults.apply_json(os.environ.get(FAULTS_ENV, ""), source=FAULTS_ENV)
    return emulator


def start_embedded(workdir: Path, *, demo_outcomes: bool) -> EmbeddedCluster:
    """Start the emulator (or join the controller's, in an xdist worker) and prepare the environment."""
    inherited = os.environ.get(ENV_KUBECONFIG)
    if inherited:
        return EmbeddedCluster(
            kubeconfig=Path(inherited), bin_dir=Path(os.environ["PATH"].split(os.pathsep)[0])
        )
    emulator = start_emulator(workdir)
    bin_dir = install_standins(workdir / "bin")
    saved: dict[str, str | None] = {}
    set_env(saved, "PATH", path_with(bin_dir))
    set_env(saved, "KUBECONFIG", str(emulator.kubeconfig))
    set_env(saved, ENV_KUBECONFIG, str(emulator.kubeconfig))
    if demo_outcomes and "GAUGE_STANDIN_OUTCOMES" not in os.environ:
        set_env(saved, "GAUGE_STANDIN_OUTCOMES", str(DEMO_SUITE / "outcomes.toml"))
    log.info("emulated cluster at %s (kubeconfig %s)", emulator.url, emulator.kubeconfig)
    return EmbeddedCluster(
        kubeconfig=emulator.kubeconfig, bin_dir=bin_dir, saved_env=saved, emulator=emulator
    )
