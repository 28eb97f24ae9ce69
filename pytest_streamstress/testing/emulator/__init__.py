"""The OpenShift emulator: a Kubernetes API server on loopback that behaves like an OpenShift
Pipelines cluster (issue 4, docs/emulator.md).

`Emulator` owns the lifecycle: the object store with the registered kinds, the fault switches, the
HTTPS API server with its throwaway CA and bearer token, the OCI registry on a second port, the
kubeconfig file, the controllers and the seed state. It is a context manager; `start`/`stop` work
too. Controllers and seed are imported lazily from `controllers` and `seed`, so the API server can
run without them (`controllers=False`, `state="empty"`).
"""

from __future__ import annotations

import importlib
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.testing.emulator import kinds, kubeconfig, server, tls
from pytest_streamstress.testing.emulator.faults import Faults
from pytest_streamstress.testing.emulator.registry import INTERNAL_HOST, Registry
from pytest_streamstress.testing.emulator.store import ApiError, Event, ResourceType, Store

__all__ = ["INTERNAL_HOST", "ApiError", "Emulator", "Event", "Faults", "ResourceType", "Store"]

log = logging.getLogger(__name__)

State = Literal["empty", "bare", "installed"]


class Emulator:
    """One emulated cluster; see the module docstring. Attributes are read by tests and controllers."""

    def __init__(
        self,
        workdir: Path,
        *,
        state: State = "installed",
        token: str | None = None,
        https: bool = True,
        registry_https: bool = True,
        openshift_version: str = "4.20.3",
        port: int = 0,
        registry_port: int = 0,
        kubeconfig_path: Path | None = None,
        controllers: bool = True,
        history: int = 1000,
        bookmark_interval_s: float = 1.0,
        fault_seed: int = 0,
    ) -> None:
        self.workdir = workdir
        self.state: State = state
        self.token = Secret(token or secrets.token_urlsafe(32))
        self.https = https
        self.registry_https = registry_https
        self.openshift_version = openshift_version
        self.kubeconfig = kubeconfig_path or workdir / "kubeconfig"
        self.bookmark_interval_s = bookmark_interval_s
        self.store = Store(history=history)
        kinds.register_all(self.store)
        self.faults = Faults(seed=fault_seed)
        self.registry = Registry(token=self.token, faults=self.faults)
        self.metrics_provider: Callable[[], list[dict[str, Any]]] | None = None
        """Set by the metrics controller; None (or faults.metrics_unavailable) -> metrics.k8s.io 404."""
        self.stopping = threading.Event()
        self.url = ""
        self.registry_host = ""
        self._port = port
        self._registry_port = registry_port
        self._with_controllers = controllers
        self._api: server.ApiServer | None = None
        self._stop_controllers: Callable[[], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Emulator:
        self.workdir.mkdir(parents=True, exist_ok=True)
        server_tls = tls.make_server_tls(self.workdir / "tls") if self.https else None
        self._api, self.url = server.start_server(self, port=self._port, tls=server_tls)
        # The registry is the cluster's ingress: its own CA, published in default-ingress-cert (seed).
        ingress_tls = (
            tls.make_server_tls(self.workdir / "ingress-tls", ca_name="streamstress-emulator-ingress-ca")
            if self.registry_https
            else None
        )
        self.registry_host = self.registry.start(port=self._registry_port, tls=ingress_tls)
        kubeconfig.write_kubeconfig(
            self.kubeconfig,
            server=self.url,
            token=self.token,
            ca_pem=server_tls.ca_pem if server_tls else None,
        )
        try:
            if self._with_controllers:
                self._stop_controllers = _load("controllers").start_controllers(self)
            if self.state != "empty":
                _load("seed").seed(self, self.state)
        except BaseException:
            self.stop()
            raise
        log.info("emulator serving %s (registry %s, state %s)", self.url, self.registry_host, self.state)
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.store.wake()
        if self._stop_controllers is not None:
            self._stop_controllers()
            self._stop_controllers = None
        if self._api is not None:
            self._api.shutdown()
            self._api.server_close()
            self._api = None
        self.registry.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- conveniences for tests and controllers ----------------------------------------------------
    def has_image(self, ref: str) -> bool:
        """Whether a pod could pull `ref` (see `Registry.has_image`)."""
        return self.registry.has_image(ref)

    def __repr__(self) -> str:
        return f"Emulator(url={self.url!r}, registry={self.registry_host!r}, state={self.state!r})"


def _load(name: str) -> Any:
    module = f"pytest_streamstress.testing.emulator.{name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise StreamstressError(
            f"the emulator's {name} module ({module}) is not available",
            hint="start the emulator with controllers=False and state='empty' to serve only the API",
        ) from exc
