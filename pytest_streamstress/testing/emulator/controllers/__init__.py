"""The emulator's controllers: small threads that make stored objects behave like a cluster.

`start_controllers(emulator)` starts every controller (each a `Controller` with its own work queue
and worker thread, reacting to store events and to its own timers), installs the metrics provider,
and returns the function that stops them all. Each controller lives in its own module and can be
started alone in a test: `workloads` (Deployments -> ReplicaSets -> Pods), `statefulsets`
(StatefulSets -> ordered Pods), `kubelet` (pod states,
image pulls, crash loops, Events), `olm`
(Subscription -> CSV -> operator Deployments), `tekton_operator` (TektonConfig, components,
installer sets), `tekton_pipelines` (PipelineRuns -> TaskRuns -> pods that run to completion),
`registry_route`, `jobs` (Job pods as local processes), and `metrics`
(metrics.k8s.io provider, no thread). Must not: serve HTTP or seed state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pytest_streamstress.testing.emulator.controllers import metrics
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.controllers.jobs import JobsController
from pytest_streamstress.testing.emulator.controllers.kubelet import KubeletController
from pytest_streamstress.testing.emulator.controllers.olm import OlmController
from pytest_streamstress.testing.emulator.controllers.registry_route import RegistryRouteController
from pytest_streamstress.testing.emulator.controllers.statefulsets import StatefulSetsController
from pytest_streamstress.testing.emulator.controllers.tekton_operator import TektonOperatorController
from pytest_streamstress.testing.emulator.controllers.tekton_pipelines import TektonPipelinesController
from pytest_streamstress.testing.emulator.controllers.workloads import WorkloadsController

__all__ = [
    "Controller",
    "Host",
    "JobsController",
    "KubeletController",
    "OlmController",
    "RegistryRouteController",
    "StatefulSetsController",
    "TektonOperatorController",
    "TektonPipelinesController",
    "WorkloadsController",
    "start_controllers",
]

log = logging.getLogger(__name__)

CONTROLLERS: tuple[type[Controller], ...] = (
    WorkloadsController,
    StatefulSetsController,
    KubeletController,
    OlmController,
    TektonOperatorController,
    TektonPipelinesController,
    RegistryRouteController,
    JobsController,
)


def start_controllers(emulator: Host) -> Callable[[], None]:
    """Start every controller against `emulator`; the returned function stops them (idempotent)."""
    emulator.metrics_provider = metrics.provider_for(emulator.store)
    started: list[Controller] = []
    try:
        for cls in CONTROLLERS:
            controller = cls(emulator)
            controller.start()
            started.append(controller)
    except BaseException:
        for controller in reversed(started):
            controller.stop()
        raise
    log.debug("emulator controllers started: %s", ", ".join(c.name for c in started))

    def stop() -> None:
        while started:
            started.pop().stop()

    return stop
